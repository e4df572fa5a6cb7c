"""The frozen ``nimeet`` program (build_installer.spec): the desktop app, as the ``nimeet`` gui-script runs it."""

from nimeet_desktop.app import gui_main

gui_main()
