"""Every code the engine and the server send has its own translated sentence (ui/messages.py), in Russian too."""

from __future__ import annotations

import pytest

from nimeet_desktop.net.error_codes import LocalErrorCode, parse_error_code
from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl, LinkProblem, ServerUrlProblem
from nimeet_desktop.net.rest import ApiError, ServerUnreachable
from nimeet_desktop.net.signaling import SignalingError, Unauthorized
from nimeet_desktop.ui import messages
from signaling_server.protocol import ErrorCode


def test_every_server_and_client_code_has_a_sentence() -> None:
    for code in [*ErrorCode, *(c for c in LocalErrorCode if c is not LocalErrorCode.UNKNOWN)]:
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
    refused = SignalingError(parse_error_code("teapot"), "I'm a teapot", raw_code="teapot")
    assert "teapot" not in messages.signaling_error(refused)


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
