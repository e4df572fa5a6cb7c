"""pynput (push-to-talk) imports its platform backend by name (``pynput._util.backend``; ``PYNPUT_BACKEND`` may pick
another). pyinstaller-hooks-contrib's hook-pynput collects them by importing pynput, which on Linux connects to the
X display: a build without one collects nothing and prints a page of warning. This hook, found first through the
spec's ``hookspath``, names them instead; hook-Xlib brings the X11 extensions python-xlib loads by name."""

import sys

# Linux: X11, and the uinput and dummy ones PYNPUT_BACKEND may pick (only the keyboard has a uinput one).
BACKENDS = {
    "win32": {"keyboard": ("win32",), "mouse": ("win32",)},
    "darwin": {"keyboard": ("darwin",), "mouse": ("darwin",)},
}.get(sys.platform, {"keyboard": ("xorg", "uinput", "dummy"), "mouse": ("xorg", "dummy")})

hiddenimports = [f"pynput.{device}._{name}" for device, names in BACKENDS.items() for name in names]
