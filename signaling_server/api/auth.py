"""POST /api/auth/register, POST /api/auth/login, GET /api/auth/me."""

from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Depends

from signaling_server.api.deps import (
    INVALID_DOC,
    RATE_DOC,
    UNAUTHORIZED_DOC,
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
    MeResponse,
    RegisterRequest,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/auth", tags=["auth"])


def normalized_email(email: str) -> str:
    try:
        # Syntax only (the contract's rule): deliverability needs DNS, which a self-hosted server on a closed
        # network may not have, and LAN deployments use domains (corp.lan, host.local) that are not global.
        return validate_email(
            email, check_deliverability=False, globally_deliverable=False, test_environment=True
        ).normalized
    except EmailNotValidError as exc:
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
    user = await svc.store.user_by_email(body.email.strip())
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
