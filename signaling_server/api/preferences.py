"""GET and PUT /api/users/me/preferences (contract v1.1): what belongs to the person, not to one machine.

Stored as the JSON object the API answers, one row per user who saved any; a user who never did gets the defaults.
PUT takes the whole object (a missing field is ``invalid-input``), so two devices never merge half-objects.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from pydantic import ValidationError

from signaling_server.api.deps import INVALID_DOC, UNAUTHORIZED_DOC, CurrentUser, ServicesDep
from signaling_server.protocol import Preferences, PreferencesBody, PreferencesResponse

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/users/me", tags=["preferences"])


@router.get("/preferences", response_model=PreferencesResponse, responses={**UNAUTHORIZED_DOC})
async def get_preferences(user: CurrentUser, svc: ServicesDep) -> PreferencesResponse:
    stored = await svc.store.preferences(user.id)
    if stored is None:
        return PreferencesResponse(preferences=Preferences())
    try:
        return PreferencesResponse(preferences=Preferences.model_validate_json(stored))
    except ValidationError:
        # Written by a version with other fields or values: the defaults rather than an error the user cannot fix.
        logger.warning("stored preferences could not be read: defaults answered", extra={"userId": user.id})
        return PreferencesResponse(preferences=Preferences())


@router.put("/preferences", response_model=PreferencesResponse, responses={**UNAUTHORIZED_DOC, **INVALID_DOC})
async def put_preferences(body: PreferencesBody, user: CurrentUser, svc: ServicesDep) -> PreferencesResponse:
    preferences = Preferences.model_validate(body.model_dump())
    await svc.store.set_preferences(user.id, preferences.model_dump_json(by_alias=True))
    return PreferencesResponse(preferences=preferences)
