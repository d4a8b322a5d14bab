"""The `chainrule` command line: train, evaluate, predict (and explain, plot when present)."""
