"""Invited attendees with an account skip the lobby of the meeting's room (contract v1.1 "Scheduling"), with real
socket clients: other people still wait, and a cancelled meeting invites nobody any more."""

from __future__ import annotations

from tests.signaling_server.meetings import Connect, knock
from tests.signaling_server.schedules import person, schedule
from tests.support.clients import Api, bearer


async def test_an_invited_attendee_walks_in_and_others_wait(api: Api, peers: Connect) -> None:
    ada, bob, eve = await person(api), await person(api), await person(api)
    room_id = (await api.create_room(ada["token"], isPrivate=True))["roomId"]
    meeting = await schedule(api, ada["token"], roomId=room_id, attendees=[bob["email"], "guest@elsewhere.test"])
    host = await peers(ada["token"])
    assert "waiting" not in await host.join(room_id)
    # Bob was invited (by the email of his account): straight in, and everyone sees him arrive.
    invited = await peers(bob["token"])
    ack = await invited.join(room_id)
    assert ack["ok"] is True and "waiting" not in ack, ack
    assert [p["socketId"] for p in ack["participants"]] == [host.sid]
    assert (await host.log.next("user-joined"))["socketId"] == invited.sid
    # Eve was not: the lobby, as before.
    stranger = await peers(eve["token"])
    await knock(stranger, room_id)
    assert (await host.log.next("lobby-knock"))["userId"] == eve["id"]
    # Once the meeting is cancelled its attendees are people like any other.
    assert await invited.call("leave-room", {"roomId": room_id}) == {"ok": True}
    assert (
        await api.http.delete(f"/api/meetings/{meeting['meetingId']}", headers=bearer(ada["token"]))
    ).status_code == 204
    again = await peers(bob["token"])
    await knock(again, room_id)


async def test_an_invitation_to_another_rooms_meeting_does_not_open_this_one(api: Api, peers: Connect) -> None:
    ada, bob = await person(api), await person(api)
    private = (await api.create_room(ada["token"], isPrivate=True))["roomId"]
    await schedule(api, ada["token"], attendees=[bob["username"]])  # in a new room of its own
    assert "waiting" not in await (await peers(ada["token"])).join(private)
    await knock(await peers(bob["token"]), private)
