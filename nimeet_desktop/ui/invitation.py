"""What "Copy invite link" copies: the server's ``inviteUrl`` (a web page that works for people without the app),
else the app's own ``nimeet://join/<id>?server=<server>`` link; and the menu that offers the app link too.

The ``inviteUrl`` comes from the server, so it is copied only when the app itself would accept it as a web join link
for the same room: a hostile or broken server cannot put ``javascript:``, another room or a lookalike on the
user's clipboard under the words "invite link".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl, join_link, parse_join_target
from nimeet_desktop.ui.untrusted import ADDRESS_CHARS, clip

MENU_BUTTON_WIDTH = 32  # logical px; Qt scales it with the display

__all__ = ["Invitation", "copy_app_link", "copy_invite", "invitation", "invite_menu", "menu_button"]


@dataclass(frozen=True, slots=True)
class Invitation:
    room_id: str
    web: str | None  # the server's inviteUrl, when it is a valid web join link for this room
    app: str  # nimeet://join/<id>?server=<the server the app uses> (without ?server= if that address is not valid)


def invitation(room_id: str, server_url: str, invite_url: str | None) -> Invitation:
    try:
        app = join_link(room_id, server_url)
    except InvalidServerUrl:  # settings edited by hand: the link still names the room
        app = join_link(room_id)
    return Invitation(room_id, _web_link(room_id, invite_url), app)


def _web_link(room_id: str, invite_url: str | None) -> str | None:
    if invite_url is None or not invite_url.lower().startswith(("https://", "http://")):
        return None
    try:
        target = parse_join_target(invite_url)
    except InvalidLink:
        return None
    if target.room_id != room_id or target.server_url is None or invite_url != invite_url.strip():
        return None
    return invite_url


def copy_invite(invite: Invitation) -> str:
    """Put the invitation people can open anywhere on the clipboard; returns the toast saying what was copied."""
    if invite.web is None:
        QGuiApplication.clipboard().setText(invite.app)
        return QCoreApplication.translate(
            "Invitation", "This server gives no web link: copied the app link {link} (it opens in NIMeet only)"
        ).format(link=clip(invite.app, ADDRESS_CHARS))
    QGuiApplication.clipboard().setText(invite.web)
    return QCoreApplication.translate("Invitation", "Invite link copied: {link}").format(
        link=clip(invite.web, ADDRESS_CHARS)
    )


def copy_app_link(invite: Invitation) -> str:
    """Put the ``nimeet://`` link on the clipboard (it opens the app directly); returns the toast."""
    QGuiApplication.clipboard().setText(invite.app)
    return QCoreApplication.translate("Invitation", "App link copied: {link} (it opens in NIMeet only)").format(
        link=clip(invite.app, ADDRESS_CHARS)
    )


def invite_menu(parent: QWidget, on_invite: Callable[[], None], on_app: Callable[[], None]) -> QMenu:
    """The two links, named for who can open them."""
    menu = QMenu(parent)
    menu.setObjectName("inviteMenu")
    invite = menu.addAction(QCoreApplication.translate("Invitation", "Copy invite link (opens in a browser)"))
    invite.setObjectName("copyInviteLink")
    invite.triggered.connect(on_invite)
    app = menu.addAction(QCoreApplication.translate("Invitation", "Copy app link (nimeet://, opens in NIMeet)"))
    app.setObjectName("copyAppLink")
    app.triggered.connect(on_app)
    return menu


def menu_button(menu: QMenu, name: str) -> QPushButton:
    """A narrow button next to "Copy invite link" opening ``menu``: styled like the buttons around it, showing only
    the style's menu arrow."""
    button = QPushButton()
    button.setObjectName(name)
    button.setMenu(menu)
    # Only the arrow: as wide as the button is high, not the theme's width for a word.
    button.setFixedWidth(MENU_BUTTON_WIDTH)
    words = QCoreApplication.translate("Invitation", "More ways to invite")
    button.setToolTip(words)
    button.setAccessibleName(words)
    return button
