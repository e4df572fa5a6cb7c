"""The frozen ``nimeet-bot`` program (build_installer.spec): the headless client, and the app's sound-device lister
(a bundle has no Python to run ``-m nimeet_desktop.media.audio_lister`` with; see that module)."""

import sys

from nimeet_desktop.media import audio_lister

if sys.argv[1:] == [audio_lister.FLAG]:
    audio_lister.main()  # before the bot's imports: the app waits for this list
else:
    from nimeet_desktop.bot import main

    main()
