"""Tests that need a system library or program say exactly which, and which Debian package brings it, when they
skip; under CI (``CI=true``) they fail instead, since ``scripts/setup.sh --dev`` must have installed it."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

PORTAUDIO = ("PortAudio", "libportaudio2")
POSTGRESQL = ("PostgreSQL", "postgresql")
XVFB = ("Xvfb", "xvfb")
TRAYER = ("A system tray host", "trayer")
COTURN = ("coturn (turnserver)", "coturn")
REDIS = ("Redis (redis-server)", "redis-server")
JANUS = ("Janus (janus)", "janus")
DBUS = ("A D-Bus daemon (dbus-daemon)", "dbus")
GDBUS = ("GLib's D-Bus tool (gdbus)", "libglib2.0-bin")


def missing_reason(what: tuple[str, str]) -> str:
    name, package = what
    return f"{name} ({package}) is not installed: bash scripts/setup.sh --dev installs it"


def require(present: bool, what: tuple[str, str]) -> None:
    if present:
        return
    if IN_CI:
        pytest.fail(missing_reason(what))
    pytest.skip(missing_reason(what))
