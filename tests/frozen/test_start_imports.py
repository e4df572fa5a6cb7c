"""The installers' start-up budget (benchmarks/bundle_budget.py, 1.5 s to the first window): issue 12's native
libraries load when they are used, not on the way to the first window. livekit's import alone takes about 0.1 s
(protobuf and its FFI bindings) and opens its 28 MB library at the first use; pynput's, on Linux, connects to the X
server. The smoke test loads both after the window (ui/smoke_test.py ``check_native_libraries``)."""

from __future__ import annotations

import subprocess
import sys

# And issue 16's LiteRT (background blur: its import opens an 18 MB library), loaded when a call turns blur on.
LATE = ("livekit", "pynput", "Xlib", "google.protobuf", "ai_edge_litert")


def test_building_the_app_imports_no_late_native_library() -> None:
    # A fresh interpreter, importing what app.py imports before its first window.
    code = (
        "import sys\n"
        "import nimeet_desktop.app, nimeet_desktop.ui.main_window\n"
        f"print(sorted({{m for m in sys.modules for late in {LATE!r} if m == late or m.startswith(late + '.')}}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
