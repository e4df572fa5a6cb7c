"""One error shape everywhere: ``{"error": {"code", "message", "field"?}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from signaling_server.logs import Throttle
from signaling_server.protocol import ErrorCode, ErrorDetail, ErrorResponse

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        conflicts_with: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
        self.conflicts_with = conflicts_with  # schedule-conflict: the meeting overlapped


# Seconds a client is told to wait after a database fault: a lock or a restarting database is usually gone by then.
UNAVAILABLE_RETRY_AFTER_S = 2


def unavailable() -> ApiError:
    return ApiError(
        503,
        ErrorCode.UNAVAILABLE,
        "the database is unavailable; try again shortly",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
    )


def is_database_fault(exc: BaseException) -> bool:
    """The database is gone, read-only, full, locked or out of connections — not a bug in a query."""
    if isinstance(exc, sa_exc.DBAPIError):
        # Constraint and statement errors are the server's own bugs (500); the rest are faults of the database.
        return not isinstance(exc, (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError))
    return isinstance(exc, (sa_exc.TimeoutError, sa_exc.DisconnectionError, ConnectionError))


def unauthorized() -> ApiError:
    return ApiError(
        401, ErrorCode.UNAUTHORIZED, "a valid access token is required", headers={"WWW-Authenticate": "Bearer"}
    )


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    conflicts_with: str | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, field=field, conflicts_with=conflicts_with))
    return JSONResponse(
        body.model_dump(mode="json", by_alias=True, exclude_none=True), status_code=status, headers=headers
    )


def _validation_message(errors: list[Any]) -> tuple[str, str | None]:
    """The first problem, in words a form can show, and the field it concerns."""
    if not errors:
        return "the request is not valid", None
    first = errors[0]
    kind = first.get("type", "")
    loc = [str(part) for part in first.get("loc", ()) if part != "body"]
    if kind == "json_invalid":
        return "the request body is not valid JSON", None
    field = loc[0] if loc else None
    if kind == "missing":
        return (f"{field} is required", field) if field else ("a JSON request body is required", None)
    text = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if field is None:
        return f"the request body is not valid: {text}", None
    return f"{field}: {text}", field


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        _count(request, exc.code)
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers, exc.conflicts_with)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        _count(request, ErrorCode.INVALID_INPUT)
        message, field = _validation_message(list(exc.errors()))
        return error_response(422, ErrorCode.INVALID_INPUT, message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI answers 400 for a body it cannot decode (not UTF-8); the contract says 422 for bad input.
            _count(request, ErrorCode.INVALID_INPUT)
            return error_response(422, ErrorCode.INVALID_INPUT, "the request body is not valid JSON text")
        codes = {
            404: ErrorCode.NOT_FOUND,
            405: ErrorCode.METHOD_NOT_ALLOWED,
            401: ErrorCode.UNAUTHORIZED,
            413: ErrorCode.TOO_LARGE,
        }
        code = codes.get(exc.status_code, ErrorCode.INVALID_INPUT)
        _count(request, code)
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    throttle = Throttle()

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not is_database_fault(exc):
            _count(request, ErrorCode.INTERNAL)
            return _internal(exc)
        # A handled answer (not the catch-all below), so the connection stays open; no traceback, and one line per
        # few seconds of an outage rather than one per request.
        skipped = throttle.due()
        if skipped is not None:
            logger.warning("database unavailable", extra={"error": type(exc).__name__, "alsoSince": skipped})
        err = unavailable()
        _count(request, err.code)
        return error_response(err.status, err.code, err.message, headers=err.headers)

    for fault in (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError, ConnectionError):
        app.add_exception_handler(fault, _database)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        _count(request, ErrorCode.INTERNAL)
        return _internal(exc)


def _count(request: Request, code: str) -> None:
    """Refusals by code for /metrics (the app's services carry its registry)."""
    services = getattr(request.app.state, "services", None)
    if services is not None:
        services.metrics.rest_error(str(code))


def _internal(exc: Exception) -> JSONResponse:
    logger.exception("unhandled error in a request", exc_info=exc)
    # Starlette closes the connection after an unhandled error: say so rather than let the client find out.
    return error_response(
        500, ErrorCode.INTERNAL, "the server failed to handle this request", headers={"Connection": "close"}
    )
