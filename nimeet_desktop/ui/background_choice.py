"""Background blur and replacement as people choose it (settings' Video page, pre-join) and see it before a call.

One setting behind both controls: ``background_blur`` (the person's, synced) and ``background_image`` (a path on
this machine): off is blur off, blur is blur on without a picture, a picture is blur on with one
(``Settings.background_mode``). A picture is read before it is taken (in a worker thread): one that cannot be read
is said at once and changes nothing.

``EffectPreview`` shows the camera as the call will send it: the engine's own ``BackgroundEffect``
(media/background_preview.py) on the newest preview frame, following the settings whoever changed them.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable

import av
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from nimeet_desktop.media.background import Mode, Plane, load_image
from nimeet_desktop.media.background_preview import BackgroundPreview, segmenter_problem
from nimeet_desktop.media.provider import MediaProvider
from nimeet_desktop.settings import Settings
from nimeet_desktop.task_set import TaskSet

logger = logging.getLogger(__name__)

MODES: tuple[Mode, ...] = ("off", "blur", "replace")

# Whether the model loads, per provider: asked once (it does not change while the app runs).
_problems: weakref.WeakKeyDictionary[MediaProvider, asyncio.Future[str | None]] = weakref.WeakKeyDictionary()


async def effects_unavailable(provider: MediaProvider) -> str | None:
    """None when background effects can run here, else the sentence that says why not (a tooltip). The model is
    loaded once, in a worker thread."""
    future = _problems.get(provider)
    if future is None:
        future = asyncio.ensure_future(asyncio.to_thread(segmenter_problem, provider.segmenter))
        _problems[provider] = future
    problem = await asyncio.shield(future)
    return None if problem is None else unavailable_text()


def unavailable_text() -> str:
    return QCoreApplication.translate(
        "Background",
        "Background effects are not available: the person detection model cannot run on this computer.",
    )


def unreadable_text() -> str:
    return QCoreApplication.translate(
        "Background", "This file cannot be read as a picture. Choose a PNG or JPEG image."
    )


def mode_texts() -> dict[Mode, str]:
    return {
        "off": QCoreApplication.translate("Background", "No effect"),
        "blur": QCoreApplication.translate("Background", "Blur"),
        "replace": QCoreApplication.translate("Background", "Image"),
    }


def choose(settings: Settings, mode: Mode, image: str | None = None) -> None:
    """Set the two settings for ``mode`` (``image``: the picture for ``"replace"``, already read once)."""
    if mode == "off":
        settings.background_blur = False  # the picture stays: choosing "Image" again takes it back
    elif mode == "blur":
        settings.background_blur = True
        settings.background_image = None
    else:
        assert image is not None
        settings.background_image = image
        settings.background_blur = True


async def readable(path: str) -> bool:
    """Whether ``path`` is a picture the effect can use (read in a worker thread, as the call reads it)."""
    try:
        await asyncio.to_thread(load_image, path)
    except ValueError:
        logger.info("background picture %s cannot be read", path)
        return False
    return True


async def take_image(settings: Settings, path: str, still_wanted: Callable[[], bool] = lambda: True) -> str | None:
    """The picture at ``path`` behind the person: read first (worker thread), then set (``choose``); None. A file
    that is no picture changes nothing and gives the sentence that says so. ``still_wanted()`` false after the read
    (the control went away meanwhile): nothing is changed either."""
    if not await readable(path):
        return unreadable_text()
    if still_wanted():
        choose(settings, "replace", path)
    return None


def image_dialog(
    parent: QWidget, on_chosen: Callable[[str], None], replacing: QFileDialog | None = None
) -> QFileDialog:
    """A picture to put behind the person (non-blocking: the preview goes on while it is open); ``replacing``: the
    control's earlier dialog, closed first (one at a time)."""
    if replacing is not None:
        replacing.close()
    dialog = QFileDialog(parent, QCoreApplication.translate("Background", "Choose a background image"))
    dialog.setObjectName("backgroundImageDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilter(QCoreApplication.translate("Background", "Images (*.png *.jpg *.jpeg)"))
    dialog.fileSelected.connect(on_chosen)
    dialog.finished.connect(lambda _result: dialog.deleteLater())
    dialog.open()
    return dialog


class EffectPreview(QObject):
    """The camera's frames with the effect the settings hold: ``frame(raw)`` on every tick of a preview's clock.

    It follows the settings by looking at them on each frame (cheap): pre-join's control, the settings window, or
    the server's preferences may change them, and each preview follows without being told. ``close`` frees the
    model's thread (in a worker thread)."""

    failed = Signal()  # the model did not load after all: the control is disabled with the reason

    def __init__(self, settings: Settings, provider: MediaProvider) -> None:
        super().__init__()
        self.settings = settings
        self.preview = BackgroundPreview(provider.segmenter)
        self.tasks = TaskSet("ui.background-preview", log=logger)
        self._applied: tuple[Mode, str | None] | None = None
        self._failed_said = False
        self._closed = False

    def frame(self, raw: av.VideoFrame | None) -> av.VideoFrame | None:
        self._follow()
        if self.preview.failed and not self._failed_said:
            self._failed_said = True
            self.failed.emit()
        return self.preview.frame(raw)

    def _follow(self) -> None:
        wanted = (self.settings.background_mode, self.settings.background_image)
        if wanted == self._applied:
            return
        self._applied = wanted
        mode, image = wanted
        if mode == "replace" and image is not None:
            self.tasks.spawn(self._replace(image), name="background-image")
        else:
            self.preview.set_effect(mode, None)

    async def _replace(self, path: str) -> None:
        try:
            picture: Plane | None = await asyncio.to_thread(load_image, path)
        except ValueError:
            picture = None  # as the call does: a picture gone since it was chosen is blurred instead
        if self._applied == ("replace", path) and not self._closed:
            self.preview.set_effect("replace", picture)

    def close(self) -> asyncio.Future[None]:
        """Starts freeing the model's thread now, in a worker thread (a closing that waited for the loop's next turn
        could be cancelled before it began, and a model thread left running aborts the process at exit); await the
        future to wait for it."""
        self._closed = True
        return asyncio.get_running_loop().run_in_executor(None, self.preview.close)
