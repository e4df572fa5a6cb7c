"""``nimeet --smoke-test``'s background segmentation (ui/smoke_test.py ``check_background_segmentation``), from
source: one mask on LiteRT, OpenCV's DNN when LiteRT cannot load, a one-line failure without the model, and LiteRT's
own stderr line kept out of the smoke test's stderr. tests/frozen/test_bundle.py asserts the bundle's line says
LiteRT (a library of LiteRT's left out of the bundle would silently mean OpenCV's DNN)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nimeet_desktop.media import background
from nimeet_desktop.ui import smoke_test
from nimeet_desktop.ui.smoke_test import SmokeTestFailure, check_background_segmentation


def test_one_mask_on_litert() -> None:
    said = check_background_segmentation()
    assert said.startswith("LiteRT 2.") and ", one 320x180 frame in " in said, said


def test_without_litert_the_mask_comes_from_opencvs_dnn(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules: the import raises ImportError, as on a machine where ai-edge-litert did not install.
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    said = check_background_segmentation()
    assert said.startswith("OpenCV DNN 4.") and "(LiteRT did not load: " in said, said


def test_without_the_model_it_fails_saying_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(background, "MODEL_PATH", tmp_path / "selfie_segmentation_landscape.tflite")
    with pytest.raises(SmokeTestFailure, match=r"^the background segmentation model is missing: "):
        check_background_segmentation()


def test_litert_news_is_held_back_and_anything_else_passed_on(capfd: pytest.CaptureFixture[str]) -> None:
    with smoke_test._native_stderr_without(smoke_test.LITERT_STDERR):
        os.write(2, f"{smoke_test.LITERT_STDERR[0]}\nERROR: something native went wrong\n".encode())
    assert capfd.readouterr().err == "ERROR: something native went wrong\n"
