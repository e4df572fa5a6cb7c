"""The dependency rules of docs/architecture.md, checked on the source so a violation fails CI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.parsing import parse

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION_ROOTS = {"nimeet_desktop.app", "nimeet_desktop.bot", "nimeet_desktop.cli", "signaling_server.__main__"}


def imports_of(package: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path] = names
    return found


def test_server_never_imports_the_app() -> None:
    for path, names in imports_of("signaling_server").items():
        assert not any(n == "nimeet_desktop" or n.startswith("nimeet_desktop.") for n in names), path


def test_app_imports_only_the_protocol_from_the_server() -> None:
    for path, names in imports_of("nimeet_desktop").items():
        server = {n for n in names if n == "signaling_server" or n.startswith("signaling_server.")}
        assert server <= {"signaling_server.protocol"} | {
            f"signaling_server.protocol.{n}" for n in _protocol_names()
        }, (
            path,
            server,
        )


def test_engine_has_no_qt_widgets() -> None:
    for sub in ("call", "media", "net"):
        if not (ROOT / "nimeet_desktop" / sub).exists():
            continue
        for path, names in imports_of(f"nimeet_desktop/{sub}").items():
            bad = {n for n in names if n.startswith(("PySide6.QtWidgets", "nimeet_desktop.ui"))}
            assert not bad, (path, bad)


# The call's live objects belong to the engine's thread (docs/architecture.md, "Threads"): the UI reaches them only
# through its adapter, and sees immutable snapshots (call/snapshots.py) otherwise.
ENGINE_OBJECTS = tuple(
    f"nimeet_desktop.call.{name}"
    for name in ("desktop_call", "session", "peer", "remote", "audio_broadcast", "source_feed", "video_feed", "fanout")
)
ADAPTER = ROOT / "nimeet_desktop" / "ui" / "engine_call.py"


def test_the_ui_reaches_the_call_engine_only_through_its_adapter() -> None:
    checked = imports_of("nimeet_desktop/ui")
    assert ADAPTER in checked
    for path, names in checked.items():
        if path == ADAPTER:
            continue
        bad = {n for n in names if n.startswith(ENGINE_OBJECTS)}
        assert not bad, (path, bad)


def test_nothing_imports_a_composition_root() -> None:
    for package in ("signaling_server", "nimeet_desktop"):
        for path, names in imports_of(package).items():
            assert not (names & COMPOSITION_ROOTS), (path, names & COMPOSITION_ROOTS)


def test_protocol_imports_nothing_heavy() -> None:
    """The client imports the protocol: it must not drag in the server's web, database or socket stack."""
    code = (
        "import sys; import signaling_server.protocol; "
        "heavy = {'fastapi', 'starlette', 'sqlalchemy', 'socketio', 'engineio', 'uvicorn', 'alembic', 'argon2', "
        "'jwt', 'email_validator'}; print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert (ROOT / "signaling_server" / "__init__.py").read_text().strip().startswith(('"""', "")) and not [
        line
        for line in (ROOT / "signaling_server" / "__init__.py").read_text().splitlines()
        if line.startswith(("import ", "from "))
    ]


def _protocol_names() -> set[str]:
    tree = parse((ROOT / "signaling_server" / "protocol.py").read_text())
    assigned: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                # ``A, B = 1, 2`` names two constants as surely as two lines do.
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                assigned.update(t.id for t in elements if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            assigned.add(node.target.id)  # ``REACTIONS: tuple[str, ...] = ...`` is a constant too
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef | ast.FunctionDef)} | assigned
