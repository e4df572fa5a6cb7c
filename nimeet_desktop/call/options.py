"""Switches of the call engine that change how media is handled, not what a user sees.

The defaults are what the app ships. The other settings exist so the benchmarks can measure what each choice buys
(``benchmarks/mesh_scaling.py``, ``benchmarks/glass_to_glass.py``) with the real engine instead of a patched one, and
so that tools can stand in for many participants cheaply (``benchmarks/app_mesh.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineOptions:
    encode_once: bool = True
    """One VP8 encoder per source whose packets every peer's sender sends (``shared_encoder.py``). ``False``:
    aiortc's stock way, every peer's sender encodes the raw frames itself (N-1 encodes of the camera in a mesh of
    N), each answering its own peer's keyframe requests and bitrate estimates."""

    marker_jitter_buffer: bool = True
    """Received video is released on the RTP marker bit (``jitter.py``). ``False``: aiortc's own jitter buffer,
    which releases a frame when the next one begins, one frame interval later."""

    peer_only_with: str | None = None
    """A user id: connect to that user only and ignore everyone else in the room (no peer, no participant). For
    tools, not the app: ``benchmarks/app_mesh.py``'s senders are K participants of one call that must load the app
    under test and not each other; a kiosk or a test rig that faces one caller could use it too. ``None`` (the
    app): everyone in the room."""
    lean_packet_path: bool = True
    """Received SRTP is handled in aioice's datagram callback instead of through a queue and a task switch per
    packet, decoded frames reach the loop with one callback, and aiortc's bitrate estimator and clock do their
    per-packet work cheaper (``aiortc_compat``'s packet path hooks). ``False``: aiortc's stock path, for
    ``benchmarks/receive_path.py``'s "before". The process-wide parts are installed by the first connection that
    uses the lean path, so a stock comparison needs a process of its own (the benchmark runs one)."""

    video_quality: int = 720
    """The preset (settings ``video_quality``: 360, 720 or 1080 lines), the ceiling of what the camera is encoded at;
    a camera opened at fewer lines is its own ceiling. ``CallSession.set_video_quality`` changes it mid-call."""

    adapt_video: bool = True
    """The camera is encoded at the level the quality policy chooses from the mesh size, the encode time and the
    receivers' reports (``quality_policy.py``), scaled before the shared encoder. ``False``: every frame at the
    camera's own size, for ``benchmarks/quality_policy.py``'s comparison. Only with ``encode_once``: per-sender
    encoding leaves each sender's encoder to aiortc."""

    relay_only: bool = False
    """Every peer connection uses relay candidates only (settings ``relay_only``, ``nimeet-bot --relay-only``):
    media always goes through the TURN server the signaling server names, and the others never see our
    addresses. Without a TURN server no call connects (``ice.offers_relay`` says so beforehand)."""
