"""The room's invitation address (``room.inviteUrl``): one function for the REST views and for mail, which runs
without a request and must not import the API."""

from __future__ import annotations


def invite_url(base: str, room_id: str) -> str:
    return f"{base}/join/{room_id}"
