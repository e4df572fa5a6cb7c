"""The frozen ``nimeet-bot`` program (build_installer.spec): the headless client."""

from nimeet_desktop.bot import main

main()
