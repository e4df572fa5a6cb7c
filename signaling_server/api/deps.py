"""What routes depend on: the services, the signed-in user, and per-client rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from signaling_server.accounts.tokens import Claims, InvalidToken
from signaling_server.api.errors import ApiError, unauthorized
from signaling_server.db.models import UserRow
from signaling_server.protocol import ErrorCode, ErrorResponse
from signaling_server.ratelimit import Budget, retry_after_header
from signaling_server.services import Limits, Services

# auto_error=False: a missing header is ours to answer (401 ``unauthorized``), not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="The token from /api/auth/register or /api/auth/login")


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


@dataclass(frozen=True)
class Session:
    """The signed-in user and the token they came with (logout revokes that token)."""

    user: UserRow
    claims: Claims


async def current_session(
    svc: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Session:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    try:
        claims = svc.tokens.verify(credentials.credentials)
    except InvalidToken:
        raise unauthorized() from None
    if svc.revocations.is_revoked(claims):  # logged out, "log out everywhere", or a deleted user
        raise unauthorized()
    user = await svc.store.user_by_id(claims.user_id)
    if user is None:
        raise unauthorized()
    return Session(user=user, claims=claims)


CurrentSession = Annotated[Session, Depends(current_session)]


async def current_user(session: CurrentSession) -> UserRow:
    return session.user


CurrentUser = Annotated[UserRow, Depends(current_user)]


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limited(pick: Callable[[Limits], Budget]) -> Callable[[Request, Services], Awaitable[None]]:
    async def check(request: Request, svc: ServicesDep) -> None:
        wait_s = await pick(svc.limits).spend(client_key(request))
        if wait_s > 0:
            raise ApiError(
                429,
                ErrorCode.RATE_LIMITED,
                "too many requests; try again later",
                headers={"Retry-After": retry_after_header(wait_s)},
            )

    return check


def error_doc(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ResponsesDoc = dict[int | str, dict[str, Any]]
UNAUTHORIZED_DOC: ResponsesDoc = {401: error_doc("Missing, malformed or expired token (`unauthorized`)")}
INVALID_DOC: ResponsesDoc = {422: error_doc("The body breaks a validation rule (`invalid-input`)")}
RATE_DOC: ResponsesDoc = {429: error_doc("Too many requests from this client (`rate-limited`)")}
