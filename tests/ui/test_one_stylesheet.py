"""Colours are named in one place, ``nimeet_desktop/ui/theme.py``: the palettes, the application stylesheet and the
colours painters use. A hex code, an ``rgba(...)``, a ``QColor`` built from literals or a colour name anywhere else
in the UI is a second place to change (and to forget) when the look changes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from PySide6.QtGui import QColor

from tests.support.parsing import parse

UI = Path(__file__).resolve().parents[2] / "nimeet_desktop" / "ui"
THEME = UI / "theme.py"

_HEX = re.compile(r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_CSS_FUNCTION = re.compile(r"\b(?:rgba?|hsla?|hsva?)\s*\(", re.IGNORECASE)
_CSS_COLOR_PROPERTY = re.compile(r"(?:^|[\s{;])(?:color|background(?:-color)?|border(?:-color)?)\s*:", re.IGNORECASE)
_COLOR_FACTORIES = {"QColor", "fromRgb", "fromRgbF", "fromRgba", "fromHsv", "fromHsl", "fromString"}
_NOT_A_COLOUR = {"transparent"}  # Qt.GlobalColor.transparent: the absence of one (a cleared pixmap)


def colour_literals(source: str, filename: str = "<source>") -> list[str]:
    """``line: what`` for each colour written as a literal in ``source``. Docstrings and comments may talk about
    colours; code may not spell them."""
    tree = parse(source, filename)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            if _HEX.search(text) or _CSS_FUNCTION.search(text) or _CSS_COLOR_PROPERTY.search(text):
                found.append(f"{node.lineno}: {text.strip()[:60]!r}")
            elif text.isalpha() and text.lower() not in _NOT_A_COLOUR and QColor.isValidColorName(text):
                found.append(f"{node.lineno}: colour name {text!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _COLOR_FACTORIES and any(isinstance(arg, ast.Constant) for arg in node.args):
                found.append(f"{node.lineno}: {name}(...) of literals")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "GlobalColor"
            and node.attr not in _NOT_A_COLOUR
        ):
            found.append(f"{node.lineno}: Qt.GlobalColor.{node.attr}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_no_colour_literal_outside_the_theme() -> None:
    offenders = {
        str(path.relative_to(UI)): found
        for path in sorted(UI.rglob("*.py"))
        if path != THEME and (found := colour_literals(path.read_text(encoding="utf-8"), str(path)))
    }
    assert offenders == {}


def test_the_check_finds_every_kind_of_colour_literal() -> None:
    """A check that cannot fail protects nothing: each way a colour has been written in this UI before is caught."""
    source = '''
"""A docstring may say #121212 and white."""
label.setStyleSheet("color: white;")
overlay.setStyleSheet("#overlay { background: rgba(0, 0, 0, 150); }")
detail.setStyleSheet("color: #e8eaed;")
FILL = QColor(0, 0, 0, 165)
icon = icons.icon("camera", "white")
pixmap.fill(Qt.GlobalColor.black)
pixmap.fill(Qt.GlobalColor.transparent)
other = QColor.fromRgb(1, 2, 3)
fine = icons.icon("camera", theme.ON_ACCENT)
name = f"{room} · #{number}"
'''
    lines = [line.split(":")[0] for line in colour_literals(source)]
    assert lines == ["3", "4", "5", "6", "7", "8", "10"], colour_literals(source)
