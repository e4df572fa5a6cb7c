"""The question the app asks before it deletes something of the person's (a room, a recording): a warning with the
thing's name as plain text (it is anybody's words), Delete and Cancel, Cancel the default and the Escape answer (the
answer that loses nothing). Window-modal and non-blocking: ``answered(question, yes)`` comes when it closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget


@dataclass(frozen=True, slots=True)
class Names:
    """Object names of the question and its two buttons (tests and screen readers find them by these)."""

    question: str
    delete: str
    cancel: str


def ask_to_delete(
    parent: QWidget,
    names: Names,
    *,
    title: str,
    text: str,
    detail: str,
    answered: Callable[[QMessageBox, bool], None],
) -> QMessageBox:
    question = QMessageBox(parent)
    question.setObjectName(names.question)
    question.setIcon(QMessageBox.Icon.Warning)
    question.setWindowTitle(title)
    question.setTextFormat(Qt.TextFormat.PlainText)
    question.setText(text)
    question.setInformativeText(detail)
    delete = question.addButton(
        QCoreApplication.translate("DeleteQuestion", "Delete"), QMessageBox.ButtonRole.DestructiveRole
    )
    delete.setObjectName(names.delete)
    keep = question.addButton(QCoreApplication.translate("DeleteQuestion", "Cancel"), QMessageBox.ButtonRole.RejectRole)
    keep.setObjectName(names.cancel)
    question.setDefaultButton(keep)
    question.setEscapeButton(keep)
    question.finished.connect(lambda _result: answered(question, question.clickedButton() is delete))
    question.open()
    return question
