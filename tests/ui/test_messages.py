"""Every code the engine and the server send has its own translated sentence (ui/messages.py), in Russian too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from PySide6.QtWidgets import QApplication

from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl, LinkProblem, ServerUrlProblem
from nimeet_desktop.net.rest import ApiError, ServerUnreachable
from nimeet_desktop.net.signaling import SignalingError, Unauthorized
from nimeet_desktop.ui import i18n, messages
from signaling_server.protocol import ErrorCode

SIGNALING_CODES = ("unreachable", "timeout", "disconnected", "invalid-ack")  # net/signaling.py's own


def test_every_server_and_signaling_code_has_a_sentence() -> None:
    for code in [*ErrorCode, *SIGNALING_CODES]:
        sentence = messages.error_code(code)
        assert sentence and sentence != messages.SERVER_ERROR_FALLBACK, code


def test_every_refused_link_and_address_has_a_sentence() -> None:
    for link_problem in LinkProblem:
        assert messages.link_error(InvalidLink(link_problem, "english")) != "english"
    for url_problem in ServerUrlProblem:
        assert messages.server_url_error(InvalidServerUrl(url_problem, "english")) != "english"


def test_an_unknown_code_gets_a_sentence_not_the_servers_words() -> None:
    said = messages.api_error(ApiError(418, "teapot", "I'm a teapot"))
    assert said == messages.SERVER_ERROR_FALLBACK
    newer = cast(ErrorCode, "teapot")  # a code a newer server may send, which this client's types do not know
    assert "teapot" not in messages.signaling_error(SignalingError(newer, "I'm a teapot"))


@pytest.fixture
def russian(qapp: QApplication) -> Iterator[None]:
    i18n.install(qapp, "ru")
    yield
    i18n.uninstall(qapp)


@pytest.mark.usefixtures("russian")
def test_errors_are_said_in_russian() -> None:
    assert messages.api_error(ApiError(429, ErrorCode.RATE_LIMITED, "slow down", retry_after=3.5)) == (
        "Слишком много попыток: повторите через 4 секунды"
    )
    assert messages.signaling_error(Unauthorized()) == "Сеанс истёк: войдите снова"
    assert messages.rest_error(ServerUnreachable("connection refused")).startswith("Не удаётся связаться с сервером")
    assert messages.link_error(InvalidLink(LinkProblem.EMPTY, "the link is empty")) == (
        "Вставьте ссылку-приглашение или введите ID комнаты"
    )
