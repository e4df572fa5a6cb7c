"""The frozen ``nimeet-server`` program (build_installer.spec); the app starts it as its local server when frozen
(nimeet_desktop/frozen.py)."""

import sys

from signaling_server.__main__ import main

sys.exit(main())
