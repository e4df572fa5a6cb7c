"""The sizes of relayed candidate fields the engine accepts (issue 10, item 9), at their exact boundaries, in bytes of
UTF-8 (what the wire carries), not in characters."""

from __future__ import annotations

import pytest

from nimeet_desktop.net.signaling import MAX_CANDIDATE_ID_BYTES, oversize_candidate
from signaling_server.protocol import MAX_CANDIDATE_BYTES, IceCandidateInit

LINE = "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"


def init(candidate: str = LINE, sdp_mid: str | None = "0", ufrag: str | None = None) -> IceCandidateInit:
    return IceCandidateInit(candidate=candidate, sdp_mid=sdp_mid, sdp_m_line_index=0, username_fragment=ufrag)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (None, None),  # end of candidates
        (init(), None),
        (init(sdp_mid=None, ufrag=None), None),
        (init(candidate=LINE + " " * (MAX_CANDIDATE_BYTES - len(LINE))), None),
        (init(candidate=LINE + " " * (MAX_CANDIDATE_BYTES - len(LINE) + 1)), "candidate"),
        (init(sdp_mid="m" * MAX_CANDIDATE_ID_BYTES), None),
        (init(sdp_mid="m" * (MAX_CANDIDATE_ID_BYTES + 1)), "sdpMid"),
        (init(sdp_mid="é" * (MAX_CANDIDATE_ID_BYTES // 2)), None),  # 2 bytes each: exactly the limit
        (init(sdp_mid="é" * (MAX_CANDIDATE_ID_BYTES // 2 + 1)), "sdpMid"),  # fewer characters than the limit
        (init(ufrag="u" * MAX_CANDIDATE_ID_BYTES), None),
        (init(ufrag="u" * (MAX_CANDIDATE_ID_BYTES + 1)), "usernameFragment"),
        (init(ufrag="😀" * 65), "usernameFragment"),  # 260 bytes in 65 characters
    ],
)
def test_candidate_field_limits(candidate: IceCandidateInit | None, expected: str | None) -> None:
    assert oversize_candidate(candidate) == expected
