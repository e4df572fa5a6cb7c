"""``python -m nimeet_desktop``: runs the composition root ``app.py`` as a script (no module imports a root)."""

import runpy

runpy.run_module("nimeet_desktop.app", run_name="__main__", alter_sys=True)
