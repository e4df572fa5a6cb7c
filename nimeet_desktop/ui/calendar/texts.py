"""The calendar's sentences with a number in them. pyside6-lupdate records plural forms only from
``self.tr(text, "", n)``, hence a small QObject (as ``MessagePlurals`` in ui/messages.py)."""

from __future__ import annotations

from PySide6.QtCore import QObject


class CalendarTexts(QObject):
    def more(self, count: int) -> str:
        """A month day's line for the meetings that do not fit: "+3 more"."""
        return self.tr("+%n more", "", count)

    def meetings(self, count: int) -> str:
        return self.tr("%n meeting(s)", "", count)

    def starts_in(self, minutes: int, time: str) -> str:
        """Before a meeting: "In 5 minutes, 14:00–14:30" (Russian "Через 5 минут, …")."""
        return self.tr("In %n min, {time}", "", minutes).format(time=time)

    def invitations(self, count: int) -> str:
        return self.tr("Awaiting your answer: %n", "", count)
