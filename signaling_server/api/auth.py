"""POST /api/auth/register, POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response

from signaling_server.accounts import emails
from signaling_server.api.deps import (
    INVALID_DOC,
    RATE_DOC,
    UNAUTHORIZED_DOC,
    CurrentSession,
    CurrentUser,
    ServicesDep,
    error_doc,
    rate_limited,
)
from signaling_server.api.errors import ApiError
from signaling_server.api.views import user_out
from signaling_server.db.store import Conflict
from signaling_server.protocol import (
    AuthResponse,
    ErrorCode,
    LoginRequest,
    LogoutRequest,
    MeResponse,
    RegisterRequest,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/auth", tags=["auth"])


def normalized_email(email: str) -> str:
    try:
        return emails.normalized_email(email)
    except emails.InvalidEmail as exc:
        raise ApiError(422, ErrorCode.INVALID_INPUT, f"email: {exc}", field="email") from None


@router.post(
    "/register",
    status_code=201,
    response_model=AuthResponse,
    responses={
        409: error_doc("Username or email already registered (`username-taken`, `email-taken`)"),
        **INVALID_DOC,
        **RATE_DOC,
    },
    dependencies=[Depends(rate_limited(lambda limits: limits.register))],
)
async def register(body: RegisterRequest, svc: ServicesDep) -> AuthResponse:
    email = normalized_email(body.email)
    password_hash = await svc.passwords.hash(body.password)
    try:
        user = await svc.store.create_user(body.username, email, password_hash)
    except Conflict as exc:
        code = ErrorCode.USERNAME_TAKEN if exc.field == "username" else ErrorCode.EMAIL_TAKEN
        raise ApiError(409, code, f"that {exc.field} is already registered", field=exc.field) from None
    logger.info("user registered", extra={"userId": user.id})
    return AuthResponse(token=svc.tokens.issue(user.id), user=user_out(user))


@router.post(
    "/login",
    response_model=AuthResponse,
    responses={401: error_doc("Wrong email or password (`invalid-credentials`)"), **INVALID_DOC, **RATE_DOC},
    dependencies=[Depends(rate_limited(lambda limits: limits.login))],
)
async def login(body: LoginRequest, svc: ServicesDep) -> AuthResponse:
    # Normalised exactly as at registration (an address typed in decomposed Unicode must find its account). An
    # address that is not one cannot be registered: it gets the same answer and the same cost as a wrong password.
    try:
        key: str | None = emails.normalized_email(body.email.strip())
    except emails.InvalidEmail:
        key = None
    user = await svc.store.user_by_email(key) if key is not None else None
    verdict = await svc.passwords.verify(user.password_hash if user else None, body.password)
    if user is None or not verdict.ok:
        raise ApiError(401, ErrorCode.INVALID_CREDENTIALS, "wrong email or password")
    if verdict.rehash is not None:
        await svc.store.set_password_hash(user.id, verdict.rehash)
        logger.info("password hash upgraded to current parameters", extra={"userId": user.id})
    return AuthResponse(token=svc.tokens.issue(user.id), user=user_out(user))


@router.get("/me", response_model=MeResponse, responses={**UNAUTHORIZED_DOC})
async def me(user: CurrentUser) -> MeResponse:
    return MeResponse(user=user_out(user))


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses={**UNAUTHORIZED_DOC, **INVALID_DOC},
)
async def logout(
    session: CurrentSession, svc: ServicesDep, body: Annotated[LogoutRequest | None, Body()] = None
) -> Response:
    """This token stops working at once (and the sockets opened with it are closed); with ``{"all": true}``
    every token of the user does."""
    if body is not None and body.all:
        issued_up_to = int(time.time())
        await svc.revocations.revoke_user(session.user.id, issued_up_to)
        # Tokens carry whole seconds: one issued later in this second would count as revoked. Answer once the
        # second is over, so a login after this answer gets a token that works.
        await asyncio.sleep(max(0.0, issued_up_to + 1 - time.time()))
        logger.info("logged out everywhere", extra={"userId": session.user.id})
    else:
        await svc.revocations.revoke_token(session.claims)
        logger.info("logged out", extra={"userId": session.user.id})
    return Response(status_code=204)
