"""UI tests: no display needed. Set before anything creates the QApplication (pytest-qt's ``qapp``)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
