"""`chainrule serve`: a local page to draw a digit and watch the network's chain rule.

Needs Starlette and uvicorn (`pip install "chainrule[web]"`); the page's script, style and
pictures ship in `static/`, so nothing is fetched from the internet.
"""

from chainrule.serve.app import create_app
from chainrule.serve.blas import one_blas_thread
from chainrule.serve.model import ServedModel
from chainrule.serve.runs import RunsRoot

__all__ = ["RunsRoot", "ServedModel", "create_app", "one_blas_thread"]
