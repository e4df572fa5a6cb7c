"""New room ids: 128 random bits in the contract's alphabet, and never a leading '-' (or '_').

One id in 64 used to start with '-', and a room id is something people pass on a command line: ``nimeet <id>`` or
``nimeet-bot <id>`` then took it for an option (argparse: exit status 2, "unrecognized arguments"), as a CI run of
the unattended start did once.
"""

from __future__ import annotations

from signaling_server.db.store import new_room_id
from signaling_server.protocol import ROOM_ID_RE


def test_new_room_ids_fit_the_contract_and_never_look_like_an_option() -> None:
    ids = [new_room_id() for _ in range(20_000)]  # a leading '-' at 1 in 64 would show ~300 times
    assert all(ROOM_ID_RE.fullmatch(i) and len(i) == 22 for i in ids)
    assert [i for i in ids if i[0] in "-_"] == []
    assert len(set(ids)) == len(ids)
    assert len({i[0] for i in ids}) == 62, "every letter and digit can open an id"
