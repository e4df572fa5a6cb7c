"""One email normalisation for registration, login and admin commands: an address that registered must log in."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalized_email(email: str) -> str:
    """The canonical form (Unicode NFC, IDNA domain); raises InvalidEmail with a message people can read."""
    try:
        # Syntax only (the contract's rule): deliverability needs DNS, which a self-hosted server on a closed
        # network may not have, and LAN deployments use domains (corp.lan, host.local) that are not global.
        return validate_email(
            email, check_deliverability=False, globally_deliverable=False, test_environment=True
        ).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
