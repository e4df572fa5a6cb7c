"""The People tab: everyone in the meeting with their role, microphone, camera and raised hand; for hosts, the lobby
(admit, deny, admit all), each person's menu (mute, camera off, role, lower hand, remove), "Mute everyone" and the
room's lock.

It shows state, it does not keep it: every action is a signal, and what follows comes back through ``set_people``,
``set_lobby`` and ``set_locked`` (the lock's box does not tick itself when clicked either). Raised hands come first,
the earliest raised on top, so a host takes them in turn.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.ui import icons, theme
from nimeet_desktop.ui.untrusted import ElidedLabel, clip, isolate, plain_label, tooltip
from signaling_server.protocol import LobbyEntry, Participant

AVATAR_SIDE = 32
STATUS_SIDE = 20  # the microphone, camera and hand icons of a row


def initial(name: str) -> str:
    """The first letter or digit of ``name``, upper case; "?" if it has none (a name of marks and symbols, or one
    that starts with an invisible text-direction character, must not show an empty disc)."""
    found = next((c for c in name if unicodedata.category(c)[0] in "LN"), "?")
    return found.upper()


class Avatar(QWidget):
    """A person's initial on their colour, as their tile shows it when their camera is off."""

    def __init__(self, name: str, side: int = AVATAR_SIDE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(side, side)
        self.set_name(name)

    def set_name(self, name: str) -> None:
        self._name = name
        self._initial = initial(name)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.avatar_color(self._name))
        painter.drawEllipse(self.rect())
        font = self.font()
        font.setPixelSize(max(1, round(self.height() * 0.45)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(theme.TILE_TEXT)
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._initial)
        painter.end()


def _status_icon(name: str) -> QLabel:
    label = plain_label()
    label.setObjectName(name)
    label.setFixedSize(STATUS_SIDE, STATUS_SIDE)
    return label


def ordered(self_socket_id: str, participants: Sequence[Participant]) -> list[Participant]:
    """Raised hands first, the earliest raised first; then you; then everyone else in the order given (the order
    they joined in)."""
    hands = sorted((p for p in participants if p.hand_raised_at is not None), key=_raised_at)
    rest = [p for p in participants if p.hand_raised_at is None]
    rest.sort(key=lambda p: p.socket_id != self_socket_id)  # stable: the others keep their order
    return hands + rest


def _raised_at(participant: Participant) -> datetime:
    assert participant.hand_raised_at is not None
    return participant.hand_raised_at


class PersonRow(QWidget):
    """One person: avatar, name and role, hand, microphone, camera, and for hosts the menu button."""

    menu_requested = Signal(str)  # socket id

    def __init__(self, participant: Participant, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("personRow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the hover face
        self.participant = participant
        self.is_self = False
        self.avatar = Avatar(participant.username)
        self.name = ElidedLabel()
        self.name.setObjectName("personName")
        self.detail = plain_label()
        self.detail.setObjectName("personDetail")
        self.detail.setProperty("role", "secondary")
        self.hand = _status_icon("handIcon")
        self.mic = _status_icon("micIcon")
        self.camera = _status_icon("cameraIcon")
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("personMenu")
        self.menu_button.setIconSize(QSize(20, 20))
        self.menu_button.clicked.connect(lambda: self.menu_requested.emit(self.participant.socket_id))

        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.name)
        text.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(self.avatar)
        layout.addLayout(text, 1)
        for widget in (self.hand, self.mic, self.camera, self.menu_button):
            layout.addWidget(widget)

    def show_state(self, participant: Participant, is_self: bool, am_host: bool) -> None:
        self.participant = participant
        self.is_self = is_self
        name = clip(participant.username)
        self.avatar.set_name(participant.username)
        self.name.setText(self.tr("{name} (you)").format(name=isolate(participant.username)) if is_self else name)
        details = []
        if participant.role == "host":
            details.append(self.tr("Host"))
        if participant.media_state.screen:
            details.append(self.tr("Presenting"))
        if participant.recording:
            details.append(self.tr("Recording"))
        self.detail.setText(" · ".join(details))
        self.detail.setVisible(bool(details))
        dpr = self.devicePixelRatioF()
        side = QSize(STATUS_SIDE, STATUS_SIDE)
        secondary = self.palette().color(self.foregroundRole())
        raised = participant.hand_raised_at is not None
        self.hand.setVisible(raised)
        if raised:
            self.hand.setPixmap(icons.disc_pixmap("hand", STATUS_SIDE, theme.TILE_BACKGROUND, theme.HAND_RAISED, dpr))
            self.hand.setToolTip(self.tr("Hand raised"))
        media = participant.media_state
        self.mic.setPixmap(
            icons.icon(
                "mic" if media.microphone else "mic-off", secondary if media.microphone else theme.DANGER
            ).pixmap(side, dpr)
        )
        self.mic.setToolTip(self.tr("Microphone on") if media.microphone else self.tr("Microphone off"))
        self.camera.setPixmap(
            icons.icon("camera" if media.camera else "camera-off", secondary if media.camera else theme.DANGER).pixmap(
                side, dpr
            )
        )
        self.camera.setToolTip(self.tr("Camera on") if media.camera else self.tr("Camera off"))
        # A host acts on the others; on themself only their role (the server refuses the rest).
        self.menu_button.setVisible(am_host)
        self.menu_button.setIcon(icons.icon("more", secondary))
        action = self.tr("More actions for {name}").format(name=isolate(participant.username))
        self.menu_button.setToolTip(tooltip(action, len(action)))  # Qt reads a tooltip as rich text: escaped
        self.menu_button.setAccessibleName(action)
        self.setAccessibleName(name)


class LobbyRow(QWidget):
    """Someone waiting to be let in, with Admit and Deny."""

    def __init__(self, entry: LobbyEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lobbyRow")
        self.entry = entry
        name = ElidedLabel(entry.username)
        name.setObjectName("lobbyName")
        self.admit_button = QPushButton(self.tr("Admit"))
        self.admit_button.setObjectName("admitButton")
        self.admit_button.setProperty("primary", True)
        self.admit_button.setAccessibleName(self.tr("Admit {name}").format(name=isolate(entry.username)))
        self.deny_button = QPushButton(self.tr("Deny"))
        self.deny_button.setObjectName("denyButton")
        self.deny_button.setAccessibleName(self.tr("Deny {name}").format(name=isolate(entry.username)))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(Avatar(entry.username))
        layout.addWidget(name, 1)
        layout.addWidget(self.deny_button)
        layout.addWidget(self.admit_button)


class LockBox(QCheckBox):
    """The room's lock: shows what the server said (``set_locked``); a click asks for the other state."""

    def nextCheckState(self) -> None:
        pass  # the box follows set_locked, not the click (clicked still carries the state asked for, see below)


class PeopleTab(QWidget):
    admit = Signal(str)
    deny = Signal(str)
    admit_all = Signal()
    mute = Signal(str, str)  # socket id, "microphone" or "camera"
    set_role = Signal(str, str)  # socket id, "host" or "participant"
    lower_hand = Signal(str)
    remove = Signal(str)
    mute_all = Signal()
    lock = Signal(bool)
    waiting_changed = Signal(int)  # people in the lobby (hosts only; 0 for everyone else)
    edit_room = Signal()  # the room's owner asked for its settings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("peopleTab")
        self.self_socket_id = ""
        self.am_host = False
        self.locked = False
        self.rows: dict[str, PersonRow] = {}
        self.lobby_rows: dict[str, LobbyRow] = {}
        self._lobby: list[LobbyEntry] = []
        self.menu: QMenu | None = None  # a person's menu while open
        self.confirmation: QMessageBox | None = None  # "Remove …?" while asked

        # The lobby (hosts, while someone waits).
        self.lobby_box = QWidget()
        self.lobby_box.setObjectName("lobbyBox")
        self.lobby_title = plain_label()
        self.lobby_title.setProperty("role", "section")
        self.admit_all_button = QPushButton(self.tr("Admit all"))
        self.admit_all_button.setObjectName("admitAllButton")
        self.admit_all_button.clicked.connect(self.admit_all)
        lobby_head = QHBoxLayout()
        lobby_head.setContentsMargins(8, 0, 4, 0)
        lobby_head.addWidget(self.lobby_title, 1)
        lobby_head.addWidget(self.admit_all_button)
        self.lobby_list = QVBoxLayout()
        self.lobby_list.setSpacing(0)
        lobby_layout = QVBoxLayout(self.lobby_box)
        lobby_layout.setContentsMargins(0, 0, 0, 8)
        lobby_layout.setSpacing(4)
        lobby_layout.addLayout(lobby_head)
        lobby_layout.addLayout(self.lobby_list)

        # The host's controls for everyone.
        self.host_box = QWidget()
        self.host_box.setObjectName("hostControls")
        self.mute_all_button = QPushButton(icons.icon("mic-off"), self.tr("Mute everyone"))
        self.mute_all_button.setObjectName("muteAllButton")
        self.mute_all_button.clicked.connect(self.mute_all)
        self.lock_box = LockBox(self.tr("Lock room"))
        self.lock_box.setObjectName("lockRoom")
        self.lock_box.setIcon(icons.icon("lock"))
        self.lock_box.setToolTip(self.tr("While the room is locked, nobody new can join"))
        self.lock_box.clicked.connect(lambda: self.lock.emit(not self.locked))
        # The room's own settings (name, description, seats, lobby, password): its owner's, from the call too.
        self.room_settings_button = QPushButton(icons.icon("settings"), self.tr("Room settings…"))
        self.room_settings_button.setObjectName("roomSettingsButton")
        self.room_settings_button.clicked.connect(self.edit_room)
        self.room_settings_button.hide()
        # One above the other: side by side, a longer language's words made the panel scroll sideways.
        host_layout = QVBoxLayout(self.host_box)
        host_layout.setContentsMargins(8, 0, 8, 8)
        host_layout.setSpacing(6)
        host_layout.addWidget(self.mute_all_button, 0, Qt.AlignmentFlag.AlignLeft)
        host_layout.addWidget(self.lock_box, 0, Qt.AlignmentFlag.AlignLeft)
        host_layout.addWidget(self.room_settings_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.people_title = plain_label()
        self.people_title.setObjectName("peopleTitle")
        self.people_title.setProperty("role", "section")
        self.people_list = QVBoxLayout()
        self.people_list.setSpacing(0)

        content = QWidget()
        content.setObjectName("peopleContent")
        column = QVBoxLayout(content)
        column.setContentsMargins(4, 8, 4, 8)
        column.setSpacing(4)
        column.addWidget(self.lobby_box)
        column.addWidget(self.host_box)
        head = QHBoxLayout()
        head.setContentsMargins(8, 0, 8, 0)
        head.addWidget(self.people_title)
        column.addLayout(head)
        column.addLayout(self.people_list)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.scroll_area = scroll
        self._show_host_parts()
        self._title_people()

    # ---- state --------------------------------------------------------------------------------------------

    def set_people(self, self_socket_id: str, participants: Sequence[Participant], am_host: bool) -> None:
        """Everyone in the meeting, you included (your own ``Participant`` from the join ack, kept current), in the
        order they joined; ``am_host``: whether you are a host now."""
        self.self_socket_id = self_socket_id
        self.am_host = am_host
        people = ordered(self_socket_id, participants)
        for socket_id in [s for s in self.rows if s not in {p.socket_id for p in people}]:
            gone = self.rows.pop(socket_id)
            self.people_list.removeWidget(gone)
            gone.deleteLater()
        for index, participant in enumerate(people):
            row = self.rows.get(participant.socket_id)
            if row is None:
                row = PersonRow(participant)
                row.menu_requested.connect(self.open_menu)
                self.rows[participant.socket_id] = row
            row.show_state(participant, participant.socket_id == self_socket_id, am_host)
            if self.people_list.indexOf(row) != index:
                self.people_list.removeWidget(row)
                self.people_list.insertWidget(index, row)
        if self.menu is not None and self.menu.property("socketId") not in self.rows:
            self.menu.close()  # the person it was for has left
        self._show_host_parts()
        self._title_people()

    def set_lobby(self, entries: Sequence[LobbyEntry]) -> None:
        """Who waits in the lobby, in the order they knocked (hosts only: it shows only while you are one)."""
        self._lobby = list(entries)
        for row in self.lobby_rows.values():
            self.lobby_list.removeWidget(row)
            row.deleteLater()
        self.lobby_rows.clear()
        for entry in self._lobby:
            row = LobbyRow(entry)
            row.admit_button.clicked.connect(lambda _c=False, s=entry.socket_id: self.admit.emit(s))
            row.deny_button.clicked.connect(lambda _c=False, s=entry.socket_id: self.deny.emit(s))
            self.lobby_rows[entry.socket_id] = row
            self.lobby_list.addWidget(row)
        self._show_host_parts()

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        self.lock_box.setChecked(locked)

    @property
    def waiting(self) -> int:
        """People waiting in the lobby that you, a host, can let in (0 when you are not a host)."""
        return len(self._lobby) if self.am_host else 0

    def _show_host_parts(self) -> None:
        self.lobby_title.setText(self.tr("Waiting to join ({count})").format(count=len(self._lobby)))
        self.admit_all_button.setVisible(len(self._lobby) > 1)
        self.lobby_box.setVisible(self.am_host and bool(self._lobby))
        self.host_box.setVisible(self.am_host)
        self.waiting_changed.emit(self.waiting)

    def _title_people(self) -> None:
        self.people_title.setText(self.tr("In the meeting ({count})").format(count=len(self.rows)))

    # ---- a person's menu (hosts) --------------------------------------------------------------------------

    def build_menu(self, socket_id: str) -> QMenu | None:
        """The actions a host has on ``socket_id`` now; None if that is nobody here or you are not a host."""
        row = self.rows.get(socket_id)
        if row is None or not self.am_host:
            return None
        person = row.participant
        menu = QMenu(self)
        menu.setObjectName("personActions")
        menu.setProperty("socketId", socket_id)

        def add(name: str, text: str, slot: object, enabled: bool = True) -> QAction:
            action = menu.addAction(text)
            action.setObjectName(name)
            action.setEnabled(enabled)
            action.triggered.connect(slot)
            return action

        if not row.is_self:
            media = person.media_state
            add("muteAction", self.tr("Mute"), lambda: self.mute.emit(socket_id, "microphone"), media.microphone)
            add(
                "cameraOffAction", self.tr("Turn camera off"), lambda: self.mute.emit(socket_id, "camera"), media.camera
            )
        if person.role == "host":
            add("roleAction", self.tr("Make participant"), lambda: self.set_role.emit(socket_id, "participant"))
        else:
            add("roleAction", self.tr("Make host"), lambda: self.set_role.emit(socket_id, "host"))
        if not row.is_self:
            if person.hand_raised_at is not None:
                add("lowerHandAction", self.tr("Lower hand"), lambda: self.lower_hand.emit(socket_id))
            menu.addSeparator()
            add("removeAction", self.tr("Remove from the meeting"), lambda: self.confirm_remove(socket_id))
        return menu

    def open_menu(self, socket_id: str) -> None:
        menu = self.build_menu(socket_id)
        row = self.rows.get(socket_id)
        if menu is None or row is None:
            return
        if self.menu is not None:
            self.menu.close()
        self.menu = menu
        menu.aboutToHide.connect(menu.deleteLater)
        menu.destroyed.connect(lambda: setattr(self, "menu", None) if self.menu is menu else None)
        button = row.menu_button
        # Under the button, right-aligned to it: the panel is at the window's right edge.
        menu.popup(button.mapToGlobal(QPoint(button.width() - menu.sizeHint().width(), button.height())))

    def confirm_remove(self, socket_id: str) -> None:
        """Ask before removing someone: they cannot come back until the meeting ends."""
        row = self.rows.get(socket_id)
        if row is None:
            return
        name = row.participant.username
        box = QMessageBox(self)
        box.setObjectName("confirmRemove")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Remove from the meeting"))
        box.setTextFormat(Qt.TextFormat.PlainText)  # a person's name is in it
        box.setText(self.tr("Remove {name} from the meeting?").format(name=isolate(name)))
        box.setInformativeText(self.tr("They cannot join again until this meeting ends."))
        remove = box.addButton(self.tr("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        remove.setObjectName("confirmRemoveButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        def answered() -> None:
            if box.clickedButton() is remove:
                self.remove.emit(socket_id)
            if self.confirmation is box:
                self.confirmation = None
            box.deleteLater()

        box.finished.connect(answered)
        self.confirmation = box
        box.open()

    def set_room_owner(self, owner: bool) -> None:
        """Whether we own the room (its settings are ours to change from the call)."""
        self.room_settings_button.setVisible(owner)
