"""Invitations that carry the server (contract v1.1): ``room.inviteUrl`` and the ``GET /join/<roomId>`` page.

The page is for a person who clicked an invitation in a browser: an "Open in NIMeet" link
(``nimeet://join/<roomId>?server=<base>``) and how to join without it. It needs no script, shows nothing about the
room but its name, and is served in English or Russian by the browser's ``Accept-Language``. Everything from the
database is HTML-escaped; the page forbids scripts and other loads (Content-Security-Policy) and never sends the
room id on as a referrer.
"""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from signaling_server.api.deps import ServicesDep
from signaling_server.config import Settings
from signaling_server.protocol import JOIN_URL_PREFIX, ROOM_ID_RE

router = APIRouter()

# The page's own words, in the two languages the product ships. ``{name}``, ``{server}`` and ``{room}`` are filled in
# escaped.
_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Join “{name}” in NIMeet",
        "open": "Open in NIMeet",
        "lead": "You have been invited to a NIMeet video call.",
        "no_app": "No NIMeet yet? Install the NIMeet app for Windows, macOS or Linux (ask the person who invited you "
        "or your administrator where to get it), then open this page again and choose “Open in NIMeet”.",
        "by_hand": "Or start NIMeet, choose the server {server} and enter the room id {room}.",
        "gone_title": "This invitation does not work",
        "gone": "The link is not valid, or the room no longer exists. Ask the person who invited you for a new link.",
    },
    "ru": {
        "title": "Присоединиться к «{name}» в NIMeet",
        "open": "Открыть в NIMeet",
        "lead": "Вас пригласили на видеозвонок NIMeet.",
        "no_app": "Ещё нет NIMeet? Установите приложение NIMeet для Windows, macOS или Linux (спросите у пригласившего "
        "вас человека или у администратора, где его взять), затем снова откройте эту страницу и выберите "
        "«Открыть в NIMeet».",
        "by_hand": "Или запустите NIMeet, выберите сервер {server} и введите идентификатор комнаты {room}.",
        "gone_title": "Это приглашение не работает",
        "gone": "Ссылка недействительна, или комнаты больше нет. Попросите пригласившего вас человека о новой ссылке.",
    },
}
_HEADERS = {
    # No script, no frames, no loads of any kind: the page is inert whatever a room name holds.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the room id is in this page's URL: knowing it is what lets people join
    "Cache-Control": "no-store",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328;"
    "line-height:1.5}a.open{display:inline-block;background:#1a73e8;color:#fff;padding:.6rem 1.2rem;"
    "border-radius:.4rem;text-decoration:none;font-weight:600}code{background:#eef1f4;padding:.1rem .3rem}"
)


def base_url(request: Request, settings: Settings) -> str:
    """Where people reach this server: ``NIMEET_PUBLIC_URL``, else this request's scheme and ``Host`` (the scheme is
    the proxy's when it is a trusted proxy: uvicorn applies ``X-Forwarded-Proto`` from those only)."""
    if settings.public_url:
        return settings.public_url
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"


def app_link(base: str, room_id: str) -> str:
    """``nimeet://join/<roomId>?server=<base, percent-encoded>``: the desktop app's own link for this invitation."""
    return f"{JOIN_URL_PREFIX}{room_id}?server={quote(base, safe='')}"


def page_language(accept_language: str | None) -> str:
    """The first language of ``Accept-Language`` (by its q-values) that the page has; English otherwise."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, index, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(choices):
        if language in _TEXT:
            return language
    return "en"


def _page(language: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


# ``:path``: a link mangled into more segments is still an invitation that does not work (404 page, not JSON).
@router.get("/join/{roomId:path}", response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, svc: ServicesDep, room_id: Annotated[str, Path(alias="roomId")]) -> HTMLResponse:
    language = page_language(request.headers.get("accept-language"))
    text = _TEXT[language]
    row = await svc.store.room(room_id) if ROOM_ID_RE.fullmatch(room_id) else None
    if row is None:
        body = f"<h1>{html.escape(text['gone_title'])}</h1><p>{html.escape(text['gone'])}</p>"
        return HTMLResponse(_page(language, html.escape(text["gone_title"]), body), status_code=404, headers=_HEADERS)
    base = base_url(request, svc.settings)
    title = html.escape(text["title"]).replace("{name}", html.escape(row.name))
    by_hand = (
        html.escape(text["by_hand"])
        .replace("{server}", f"<code>{html.escape(base)}</code>")
        .replace("{room}", f"<code>{html.escape(row.room_id)}</code>")
    )
    body = (
        f"<h1>{title}</h1><p>{html.escape(text['lead'])}</p>"
        f'<p><a class="open" href="{html.escape(app_link(base, row.room_id))}">{html.escape(text["open"])}</a></p>'
        f"<p>{html.escape(text['no_app'])}</p><p>{by_hand}</p>"
    )
    return HTMLResponse(_page(language, title, body), headers=_HEADERS)
