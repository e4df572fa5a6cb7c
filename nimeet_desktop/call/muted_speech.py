"""When to tell people they are talking while muted: the level heard above a threshold for a while, once per muting.

Qt-free and clock-injected, so the rule is tested with numbers: the call window feeds it the microphone's level
(``EngineCall.muted_speech_level``, ui/engine_call.py) every tick and shows the hint when ``update`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEECH_DBFS = -40.0
"""Above this a muted microphone hears someone talking into it (speech is about -30 to -15 dBFS at the microphone;
a quiet room's hum and keyboard clicks stay below)."""
SPEECH_HOLD_S = 0.3
"""Speech for this long, not a cough or a door: one loud 20 ms frame is not talking."""


@dataclass
class MutedSpeechDetector:
    """``update(level, muted, now)`` is True exactly once per muting: the first time the level has stayed above
    ``threshold_dbfs`` for ``hold_s`` while muted. Unmuting re-arms it; a pause in the speech restarts the hold."""

    threshold_dbfs: float = SPEECH_DBFS
    hold_s: float = SPEECH_HOLD_S
    _loud_since: float | None = None
    _told: bool = False

    def update(self, level_dbfs: float, muted: bool, now: float) -> bool:
        if not muted:
            self._loud_since = None
            self._told = False  # the next muting may be told again
            return False
        if self._told:
            return False
        if level_dbfs <= self.threshold_dbfs:
            self._loud_since = None
            return False
        if self._loud_since is None:
            self._loud_since = now
        if now - self._loud_since >= self.hold_s:
            self._told = True
            return True
        return False
