"""``benchmarks/_senders.py``, the load of ``app_mesh.py``: its participants must never decode what they receive,
whatever the engine installs when it makes its peers (the benchmark would otherwise measure them, not the app)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import sys
sys.path.insert(0, "benchmarks")
import _senders
from aiortc import rtcrtpreceiver
from aiortc.rtcpeerconnection import RTCPeerConnection
from nimeet_desktop.call import aiortc_compat

_senders.never_decode()
aiortc_compat.install_lean_packet_hooks()  # what the engine's first peer does
assert rtcrtpreceiver.decoder_worker is _senders._discarding_decoder_worker, rtcrtpreceiver.decoder_worker
receiver = RTCPeerConnection().addTransceiver("audio").receiver
assert aiortc_compat.decode_audio_inline(receiver) is False
print("ok")
"""


def test_the_senders_decode_nothing_even_after_the_engine_installs_its_hooks() -> None:
    # A process of its own: the hooks are process-wide, and this one must not keep the suite from decoding.
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
