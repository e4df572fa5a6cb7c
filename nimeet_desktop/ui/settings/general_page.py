"""Language, notifications, and what closing the window during a call does."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QComboBox, QRadioButton

from nimeet_desktop.settings import CloseDuringCall, Language, Settings
from nimeet_desktop.ui.settings.page import Page, note
from nimeet_desktop.ui.untrusted import plain_label

# Each language named in itself, the same in every language: a Russian speaker lost in an English UI (or the other
# way round) must still find their own.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
COMBO_WIDTH = 320  # logical px: a short list of words, not a field to fill the page
CLOSE_CHOICES: tuple[CloseDuringCall, ...] = ("ask", "tray", "leave")
# A scheduled meeting's reminder, minutes before it starts (None: none); a value set elsewhere (the server takes any
# 0–10080) is added to these as it is.
REMINDER_CHOICES: tuple[int | None, ...] = (None, 0, 5, 10, 15, 30, 60)


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

        self.subtitle(self.tr("Meeting reminders"))
        self.reminder = QComboBox()
        self.reminder.setObjectName("reminderMinutes")
        self.reminder.setAccessibleName(self.tr("Remind me of a scheduled meeting"))
        self.reminder.setMaximumWidth(COMBO_WIDTH)
        choices = list(REMINDER_CHOICES)
        if settings.reminder_minutes not in choices:
            choices.append(settings.reminder_minutes)
            choices.sort(key=lambda minutes: -1 if minutes is None else minutes)
        for minutes in choices:
            self.reminder.addItem(self._reminder_text(minutes), minutes)
        self.reminder.setCurrentIndex(max(0, choices.index(settings.reminder_minutes)))
        self.body.addWidget(self.reminder)
        self.body.addWidget(note(self.tr("For meetings that set no reminder of their own.")))

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

        # Which of these follow the person to their other computers (preferences_sync.py), and which stay here.
        self.body.addSpacing(8)
        self.body.addWidget(
            note(
                self.tr(
                    "Language, notifications, reminders, video quality and whether you join with camera and microphone "
                    "are kept with your account on the server and follow you to your other computers."
                )
            )
        )

        self.language.activated.connect(self._language_chosen)
        self.reminder.activated.connect(self._reminder_chosen)
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

    def _reminder_text(self, minutes: int | None) -> str:
        if minutes is None:
            return self.tr("No reminder")
        if minutes == 0:
            return self.tr("When it starts")
        if minutes == 1:  # English has no plural forms in the catalogue: one minute has its own words
            return self.tr("1 minute before")
        return self.tr("%n minutes before", "", minutes)

    def _reminder_chosen(self, _index: int) -> None:
        minutes = cast(int | None, self.reminder.currentData())
        if minutes != self.settings.reminder_minutes:
            self.settings.reminder_minutes = minutes
            self.changed.emit()

    def _notifications_toggled(self, on: bool) -> None:
        self.settings.notifications = on
        self.changed.emit()

    def _close_toggled(self, index: int, checked: bool) -> None:
        if checked and self.settings.close_during_call != CLOSE_CHOICES[index]:
            self.settings.close_during_call = CLOSE_CHOICES[index]
            self.changed.emit()
