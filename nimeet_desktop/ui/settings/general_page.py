"""Language, notifications, and what closing the window during a call does."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QComboBox, QRadioButton

from nimeet_desktop.settings import CloseDuringCall, Language, Settings
from nimeet_desktop.ui.settings.page import Page
from nimeet_desktop.ui.untrusted import plain_label

# Each language named in itself, the same in every language: a Russian speaker lost in an English UI (or the other
# way round) must still find their own.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
COMBO_WIDTH = 320  # logical px: a short list of words, not a field to fill the page
CLOSE_CHOICES: tuple[CloseDuringCall, ...] = ("ask", "tray", "leave")


class GeneralPage(Page):
    language_changed = Signal(str)  # the new setting ("system", "en", "ru"), once the settings hold it
    changed = Signal()  # notifications or the close choice: the settings hold it, to be saved

    def __init__(self, settings: Settings) -> None:
        super().__init__(self.tr("General"))
        self.settings = settings

        self.subtitle(self.tr("Language"))
        self.language = QComboBox()
        self.language.setObjectName("languagePicker")
        self.language.addItem(self.tr("System language"), "system")
        for code, name in LANGUAGE_NAMES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.language.setAccessibleName(self.tr("Language"))
        self.language.setMaximumWidth(COMBO_WIDTH)
        self.body.addWidget(self.language)
        # Why part of the window keeps the old language for now, when it does (set by the window).
        self.language_note = plain_label()
        self.language_note.setObjectName("languageNote")
        self.language_note.setWordWrap(True)
        self.language_note.hide()
        self.body.addWidget(self.language_note)

        self.subtitle(self.tr("Notifications"))
        self.notifications = QCheckBox(self.tr("Show desktop notifications"))
        self.notifications.setObjectName("notifications")
        self.notifications.setChecked(settings.notifications)
        self.option(
            self.notifications,
            self.tr("When the window is hidden: someone joined, the connection was lost, a device stopped."),
        )

        self.subtitle(self.tr("When I close the window during a call"))
        texts = {
            "ask": self.tr("Ask me"),
            "tray": self.tr("Keep the call running in the tray"),
            "leave": self.tr("Leave the call and quit"),
        }
        self.close_group = QButtonGroup(self)
        self.close_buttons: dict[str, QRadioButton] = {}
        for index, value in enumerate(CLOSE_CHOICES):
            button = QRadioButton(texts[value])
            button.setObjectName(f"close-{value}")
            button.setChecked(settings.close_during_call == value)
            self.close_group.addButton(button, index)
            self.close_buttons[value] = button
            self.body.addWidget(button)

        self.language.activated.connect(self._language_chosen)
        self.notifications.toggled.connect(self._notifications_toggled)
        self.close_group.idToggled.connect(self._close_toggled)

    def show_language_note(self, text: str | None) -> None:
        self.language_note.setText(text or "")
        self.language_note.setVisible(bool(text))

    def _language_chosen(self, _index: int) -> None:
        chosen = cast(Language, self.language.currentData())
        if chosen != self.settings.language:
            self.settings.language = chosen
            self.language_changed.emit(chosen)

    def _notifications_toggled(self, on: bool) -> None:
        self.settings.notifications = on
        self.changed.emit()

    def _close_toggled(self, index: int, checked: bool) -> None:
        if checked and self.settings.close_during_call != CLOSE_CHOICES[index]:
            self.settings.close_during_call = CLOSE_CHOICES[index]
            self.changed.emit()
