"""What the camera is encoded at: a rung of a resolution and frame-rate ladder, chosen from what the call can carry.

Qt-free and pure (time comes in with each observation), so its decisions are tested as inputs over time. The session
observes about once a second (``CallSession._watch``) and the shared encoder scales each frame to the chosen level
before encoding it (``shared_encoder.py``): nothing is renegotiated, libvpx is simply reopened at the new size and
the receivers' decoders follow the keyframe that starts it.

The level is the best rung allowed by all of:

* the preset (settings ``video_quality``: 360, 720 or 1080 lines), a ceiling never exceeded;
* the mesh: every other participant decodes what we send and we decode all of them, so a bigger mesh gets a
  smaller picture (``MESH_CAPS``: 1080p for two, 720p for three, 540p for four or five, 360p beyond);
* the bandwidth: the lowest receiver estimate (REMB) the encoder follows must be enough for the rung;

and it steps down one rung on trouble: encoding takes too long for the frame interval in two observations running (the
machine is short of CPU: the encode's wall time grows when the decoders of the others' streams compete for the cores;
one busy second is not enough; it goes as low as 270p30), or a receiver reports loss or a long round trip. The last
rung, half the frame rate, is for network trouble only: on a machine short of CPU it would take every tile of ours below
25 fps, the very thing the policy is for. Hysteresis: down at once (a rung per ``DOWN_HOLD_S``, time for the step to
show), up one rung only after ``UP_AFTER_S`` of headroom (the next rung's predicted encode time well inside the
interval, no loss); a step up that trouble follows within ``REGRET_S`` doubles the wait before the next one (up to
``UP_AFTER_MAX_S``), so a level at the edge of what the machine carries does not flap, each change costing a keyframe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Level:
    height: int  # lines of the encoded picture; the width follows the source's aspect ratio
    fps: int

    @property
    def name(self) -> str:
        return f"{self.height}p{self.fps}"

    @property
    def pixels(self) -> int:
        return self.height * self.height * 16 // 9  # relative cost of a rung: 16:9 is what cameras are opened at


# Best first. 270p30 is where a machine short of CPU ends: a mesh of six or more shows tiles of about 480x270 on a
# laptop's screen (a 3x3 grid on 1366x768), so fewer lines cost little there, and fewer frames would take every tile
# of ours below 25 fps. The last rung, half the frame rate, is for network trouble only.
LADDER: tuple[Level, ...] = (
    Level(1080, 30),
    Level(720, 30),
    Level(540, 30),
    Level(360, 30),
    Level(270, 30),
    Level(270, 15),
)
CPU_FLOOR = len(LADDER) - 2
"""The lowest rung CPU trouble steps to: the last one at the full frame rate."""

# Mesh size (us included) -> the best height it may send. Sizes past the last entry take the last.
MESH_CAPS: tuple[tuple[int, int], ...] = ((2, 1080), (3, 720), (5, 540), (6, 360))

# The lowest receiver estimate (bit/s) a rung needs to look sharp rather than blocky.
MIN_BITRATE: dict[int, int] = {1080: 1_500_000, 720: 700_000, 540: 400_000, 360: 200_000, 270: 120_000}

# Encode (scale + encode) wall time per frame as a share of the frame interval: above TROUBLE the machine is short
# of CPU; the next rung up is tried only while its predicted time (scaled by pixels) stays under HEADROOM.
CPU_TROUBLE = 0.5
CPU_HEADROOM = 0.3
CPU_TROUBLE_OBSERVATIONS = 2
# Receivers' loss (fraction of packets, their last report) and round trip: above TROUBLE step down, and step up
# only below HEADROOM.
LOSS_TROUBLE = 0.08
LOSS_HEADROOM = 0.02
ROUND_TRIP_TROUBLE_S = 0.5
ROUND_TRIP_HEADROOM_S = 0.25

DOWN_HOLD_S = 2.0
UP_AFTER_S = 8.0
UP_AFTER_MAX_S = 120.0
REGRET_S = 20.0


@dataclass(frozen=True, slots=True)
class Observation:
    """What the call looks like at ``at`` (monotonic seconds); None where not measured (nothing encoded yet, no
    receiver report yet)."""

    at: float
    participants: int  # in the mesh, us included
    encode_ms: float | None = None  # mean scale + encode wall time per frame since the last observation
    bitrate_bps: int | None = None  # the lowest receiver estimate, which the encoder follows
    loss_fraction: float | None = None  # the worst any receiver reported of our video
    round_trip_s: float | None = None  # the longest to any receiver


def index_of_height(height: int) -> int:
    """The best rung whose height is at most ``height``; for anything smaller, the best of the lowest height (a
    240-line camera is sent as it is, at its full frame rate: frames are never scaled up)."""
    for index, level in enumerate(LADDER):
        if level.height <= height:
            return index
    return index_of_height(LADDER[-1].height)


def mesh_cap(participants: int) -> int:
    for size, height in MESH_CAPS:
        if participants <= size:
            return height
    return MESH_CAPS[-1][1]


class QualityPolicy:
    """Chooses the camera's level from successive ``Observation``s. Not thread-safe (the engine loop's)."""

    def __init__(self, preset_height: int = 720) -> None:
        self._ceiling = index_of_height(preset_height)
        self.index = self._ceiling
        self.reason = "preset"  # why the level is what it is, for the log and the benchmark
        self._changed_at: float | None = None
        self._stepped_up_at: float | None = None
        self._headroom_since: float | None = None
        self._up_after = UP_AFTER_S
        self.changes = 0
        self.last: Observation | None = None  # the latest observation decided on, for the figures
        self._slow_encodes = 0  # observations running with the encode over the trouble line

    @property
    def level(self) -> Level:
        return LADDER[self.index]

    def set_preset(self, height: int) -> None:
        """A new ceiling (the settings changed mid-call): lower at once; higher only by earning it."""
        self._ceiling = index_of_height(height)
        if self.index < self._ceiling:
            self._set(self._ceiling, None, "preset")

    def cap(self, observation: Observation) -> tuple[int, str]:
        """The best rung the preset, the mesh and the bandwidth allow, and which of them limits it."""
        caps = [(self._ceiling, "preset"), (index_of_height(mesh_cap(observation.participants)), "mesh")]
        if observation.bitrate_bps is not None:
            # Below the lowest rate the encoder still sends 270p30, blockier (it is held at its floor): halving the
            # frame rate is for loss and round trip, which say packets do not get through, not for an estimate.
            fitting = [h for h, rate in MIN_BITRATE.items() if observation.bitrate_bps >= rate]
            caps.append((index_of_height(max(fitting, default=min(MIN_BITRATE))), "bandwidth"))
        return max(caps)

    def trouble(self, observation: Observation) -> str | None:
        """Why the current rung is too much, if it is. Counts slow encodes: call once per observation."""
        slow = observation.encode_ms is not None and observation.encode_ms > CPU_TROUBLE * 1000 / self.level.fps
        self._slow_encodes = self._slow_encodes + 1 if slow else 0
        if self._slow_encodes >= CPU_TROUBLE_OBSERVATIONS and self.index < CPU_FLOOR:
            return "cpu"
        if observation.loss_fraction is not None and observation.loss_fraction > LOSS_TROUBLE:
            return "loss"
        if observation.round_trip_s is not None and observation.round_trip_s > ROUND_TRIP_TROUBLE_S:
            return "round-trip"
        return None

    def headroom(self, observation: Observation, up: Level) -> bool:
        """Whether the rung ``up`` looks affordable: its predicted encode time, loss and round trip."""
        if observation.encode_ms is not None:
            predicted = observation.encode_ms * up.pixels / self.level.pixels
            if predicted > CPU_HEADROOM * 1000 / up.fps:
                return False
        if observation.loss_fraction is not None and observation.loss_fraction > LOSS_HEADROOM:
            return False
        return observation.round_trip_s is None or observation.round_trip_s <= ROUND_TRIP_HEADROOM_S

    def decide(self, observation: Observation) -> Level:
        self.last = observation
        now = observation.at
        cap, limit = self.cap(observation)
        trouble = self.trouble(observation)
        if self.index < cap:
            # More than the preset, the mesh or the bandwidth allows: at once, whatever the hold.
            self._set(cap, now, limit)
        elif trouble is not None:
            self._headroom_since = None
            held = self._changed_at is not None and now - self._changed_at < DOWN_HOLD_S
            if not held and self.index < len(LADDER) - 1:
                regret = self._stepped_up_at is not None and now - self._stepped_up_at < REGRET_S
                # Trouble soon after a step up: that rung is more than we carry, so wait longer before trying again.
                self._up_after = min(self._up_after * 2, UP_AFTER_MAX_S) if regret else UP_AFTER_S
                self._stepped_up_at = None
                self._set(self.index + 1, now, trouble)
        elif self.index > cap and self.headroom(observation, LADDER[self.index - 1]):
            if self._headroom_since is None:
                self._headroom_since = now
            elif now - self._headroom_since >= self._up_after:
                self._set(self.index - 1, now, "headroom")
                self._stepped_up_at = now
        else:
            self._headroom_since = None
        return self.level

    def _set(self, index: int, now: float | None, reason: str) -> None:
        if index == self.index:
            return
        logger.info("video level %s -> %s (%s)", self.level.name, LADDER[index].name, reason)
        self.index, self.reason = index, reason
        self._changed_at = now
        self._headroom_since = None
        self.changes += 1
