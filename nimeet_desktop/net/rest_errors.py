"""The base of every REST failure, in a module of its own so that the REST client's helpers (``file_transfer``) can
raise its kind without importing the client."""

from __future__ import annotations


class RestError(Exception):
    """Any failure of a REST call; ``message`` is fit to show to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
