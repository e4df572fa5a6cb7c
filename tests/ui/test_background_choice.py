"""Background blur and replacement as people choose it, in the real window against the real server, with synthetic
cameras and the real segmentation model: the settings' Background section and pre-join's switch set the one setting,
show the camera as it will be sent (composited off the GUI thread), refuse a file that is no picture, keep the
preview moving while the model loads, and are disabled, saying why, where the model cannot run."""

from __future__ import annotations

import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from nimeet_desktop.media.background import Segmenter
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import background_choice
from nimeet_desktop.ui.main_window import MainWindow
from tests.ui.conftest import AppHarness, engine_until, new_user, register, start_new_call, until

pytestmark = [
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
    pytest.mark.usefixtures("loopback_media"),
]

GREEN_BGR = (40, 200, 40)


class NoModel(SyntheticMediaProvider):
    """A machine where the segmentation model cannot run (no runtime that reads it)."""

    def segmenter(self) -> Segmenter:
        raise RuntimeError("no runtime reads the model here")


class SlowModel(SyntheticMediaProvider):
    """A machine where loading the model takes a while (a cold disk, a busy CPU)."""

    def segmenter(self) -> Segmenter:
        time.sleep(1.5)
        return super().segmenter()


def saved(app: AppHarness) -> Settings:
    return SettingsStore(app.config_dir).load()


def detail(frame: av.VideoFrame) -> float:
    """How much fine detail the picture has (the variance of its luma's Laplacian): a blur takes it away."""
    luma = np.asarray(frame.to_ndarray(), np.uint8)[: frame.height]
    return float(cv2.Laplacian(luma, cv2.CV_64F).var())


def mean_bgr(frame: av.VideoFrame) -> np.ndarray:
    pixels = np.asarray(frame.to_ndarray(format="bgr24"), np.float64).reshape(-1, 3)
    return np.asarray(pixels.mean(axis=0), np.float64)


async def signed_in(app: AppHarness, qtbot: QtBot) -> MainWindow:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    return window


def test_settings_blur_replace_and_a_file_that_is_no_picture(qtbot: QtBot, app: AppHarness, tmp_path: Path) -> None:
    not_a_picture = tmp_path / "holiday.png"
    not_a_picture.write_bytes(b"not a png at all")
    green = tmp_path / "green.png"
    cv2.imwrite(str(green), np.full((90, 160, 3), GREEN_BGR, np.uint8))

    async def flow() -> None:
        window = await signed_in(app, qtbot)
        settings_window = window.settings_window
        settings_window.open_page("video")
        section = settings_window.background
        await until(lambda: section.tile.conversions > 3, what="the camera in the Background section")
        assert section.buttons["off"].isChecked() and section.isEnabled()
        feed = settings_window.feed
        assert feed is not None

        section.buttons["blur"].click()
        assert (saved(app).background_blur, saved(app).background_image) == (True, None)
        effect = section.effect
        assert effect is not None
        await until(lambda: effect.preview.composited > 3, what="blurred frames")
        shown, raw = section._frame(), feed.latest_frame()
        assert shown is not None and raw is not None and shown is not raw
        assert detail(shown) < detail(raw) / 4, "the synthetic picture (no person in it) is blurred all over"
        conversions = section.tile.conversions
        await until(lambda: section.tile.conversions > conversions + 3, what="the blurred preview moving")

        # A file that is no picture: said, and nothing changes.
        section.choose_image()
        assert section.file_dialog is not None
        section.file_dialog.fileSelected.emit(str(not_a_picture))
        await until(lambda: section.error.isVisible(), what="the unreadable picture said")
        assert section.error.text() == background_choice.unreadable_text()
        assert (saved(app).background_blur, saved(app).background_image) == (True, None)
        assert section.buttons["blur"].isChecked()

        # A picture: behind the person (here, with nobody in the picture, everywhere).
        section.choose_image()
        assert section.file_dialog is not None
        section.file_dialog.fileSelected.emit(str(green))
        await until(lambda: saved(app).background_image == str(green), what="the picture saved")
        assert saved(app).background_blur and window.context.settings.background_mode == "replace"
        assert not section.error.isVisible() and section.buttons["replace"].isChecked()
        assert "green.png" in section.image_label.text()

        def green_shown() -> bool:
            frame = section._frame()
            return frame is not None and bool(np.abs(mean_bgr(frame) - GREEN_BGR).max() < 25)

        await until(green_shown, what="the picture in the preview")

        # None: the camera as it is; the picture is kept for the next time "Image" is chosen.
        section.buttons["off"].click()
        assert (saved(app).background_blur, saved(app).background_image) == (False, str(green))
        assert section._frame() is feed.latest_frame()
        section.buttons["replace"].click()
        assert saved(app).background_blur and saved(app).background_image == str(green)
        assert section.file_dialog is None, "a picture is known: no dialog"

    app.run(flow(), timeout=60)


def test_prejoin_switch_previews_while_the_model_loads_and_the_call_follows(qtbot: QtBot, app: AppHarness) -> None:
    app.provider = SlowModel(320, 240)

    async def flow() -> None:
        window = await signed_in(app, qtbot)
        start_new_call(qtbot, window)
        prejoin = window.prejoin
        await until(lambda: prejoin.join_button.isEnabled() and prejoin.tile.conversions > 3, what="a live preview")
        box = prejoin.background_box
        assert box.currentData() == "off" and box.isEnabled()

        # The model takes 1.5 s to load: meanwhile the preview keeps moving, the background (all of it) blurred.
        started = time.monotonic()
        conversions = prejoin.tile.conversions
        box.setCurrentIndex(box.findData("blur"))
        box.activated.emit(box.currentIndex())
        assert saved(app).background_blur and saved(app).background_image is None
        effect = prejoin.effect
        assert effect is not None
        await until(lambda: effect.preview.composited > 10, what="blurred frames while the model loads")
        await until(lambda: prejoin.tile.conversions > conversions + 10, what="the preview moving")
        assert time.monotonic() - started < 1.5, "the preview waited for the model"
        assert effect.preview.effect.worker.stats.updates == 0, "the model was still loading"
        await until(lambda: effect.preview.effect.worker.stats.updates > 0, what="the model's first mask")

        # The settings window (pre-join's camera, borrowed) shows the same choice, and a change there reaches
        # pre-join's switch.
        settings_window = window.settings_window
        settings_window.open_page("video")
        assert settings_window.background.buttons["blur"].isChecked()
        settings_window.background.buttons["off"].click()
        await until(lambda: box.currentData() == "off", what="pre-join following the settings")
        assert prejoin._preview_frame() is prejoin.preview.latest_frame
        box.setCurrentIndex(box.findData("blur"))
        box.activated.emit(box.currentIndex())
        settings_window.hide()

        # The call is built with the choice, and a change in the settings reaches it.
        prejoin.join_button.click()
        await until(lambda: window.call_view.call is not None, what="the call")
        call = window.call_view.call
        assert call is not None
        await engine_until(call, lambda c: c.background.mode == "blur", what="the call blurring")
        assert prejoin.effect is None, "pre-join's preview gave up its model"
        settings_window.open_page("video")
        settings_window.background.buttons["off"].click()
        await engine_until(call, lambda c: c.background.mode == "off", what="the call no longer blurring")
        settings_window.hide()

    app.run(flow(), timeout=60)


def test_without_a_model_the_controls_are_disabled_and_say_why(qtbot: QtBot, app: AppHarness) -> None:
    """Blur is on (chosen on another computer, say) where no model runs: only "No effect" can be chosen, once."""
    app.provider = NoModel(320, 240)
    SettingsStore(app.config_dir).save(
        Settings(server_url=app.server.url, start_local_server=False, background_blur=True)
    )

    async def flow() -> None:
        window = await signed_in(app, qtbot)
        start_new_call(qtbot, window)
        prejoin = window.prejoin
        box = prejoin.background_box
        await until(lambda: box.toolTip() == background_choice.unavailable_text(), what="pre-join saying why")
        await until(lambda: prejoin.tile.conversions > 3, what="the camera still shown")
        model = box.model()
        assert isinstance(model, QStandardItemModel)
        enabled = {str(box.itemData(row)): model.item(row).isEnabled() for row in range(box.count())}
        assert enabled == {"off": True, "blur": False, "replace": False, "choose": False}
        assert box.isEnabled() and box.currentData() == "blur"

        settings_window = window.settings_window
        settings_window.open_page("video")
        section = settings_window.background
        await until(lambda: section.unavailable.isVisible(), what="the settings saying why")
        for button in (section.buttons["blur"], section.buttons["replace"], section.choose_button):
            assert not button.isEnabled() and button.toolTip() == background_choice.unavailable_text()
        assert section.buttons["off"].isEnabled()
        section.buttons["off"].click()
        assert not saved(app).background_blur
        await until(lambda: not box.isEnabled(), what="pre-join's switch disabled: nothing left to choose")
        assert box.currentData() == "off" and not section.buttons["off"].isEnabled()
        settings_window.hide()

    app.run(flow(), timeout=60)
