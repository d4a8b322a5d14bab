"""`python -m chainrule`: the same as the `chainrule` command."""

import sys

from chainrule.cli.main import main

sys.exit(main())
