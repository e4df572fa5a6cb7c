"""``ast.parse`` for the tests that read the source (dependency rules, untrusted text, translations, stylesheet)."""

from __future__ import annotations

import ast

ATTEMPTS = 3


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, tried again when CPython 3.11's AST converter trips over another thread meanwhile.

    Seen once in CI on 3.11.7: "SystemError: AST constructor recursion depth mismatch (before=120, after=176)" from a
    UI test's ``ast.parse`` of a plain source file, while the call engine's and the frame converter's threads of
    earlier tests were still running. The converter's recursion bookkeeping is shared by the interpreter's threads
    in 3.11; the same source parses on the next try. Any other SystemError is raised as it is."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return ast.parse(source, filename)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")
