"""Typed API errors; the HTTP layer turns each into GitHub's error body shape."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/enterprise-server@3.19/rest"


class ApiError(Exception):
    status = 500
    default_message = "Server Error"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: list[Any] | None = None,
        documentation_url: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.errors = errors
        self.documentation_url = documentation_url
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": self.documentation_url}
        if self.errors is not None:
            body["errors"] = self.errors
        # GitHub has added the status as a string to error bodies; PyGithub ignores it.
        body["status"] = str(self.status)
        return body


class BadRequest(ApiError):
    status = 400
    default_message = "Problems parsing JSON"


class Unauthorized(ApiError):
    status = 401
    default_message = "Bad credentials"


class Forbidden(ApiError):
    status = 403
    default_message = "Forbidden"


class NotFound(ApiError):
    status = 404
    default_message = "Not Found"


class MethodNotAllowed(ApiError):
    status = 405
    default_message = "Method Not Allowed"


class Conflict(ApiError):
    status = 409
    default_message = "Conflict"


class Unprocessable(ApiError):
    status = 422
    default_message = "Validation Failed"


def missing_field(resource: str, field: str) -> Unprocessable:
    return Unprocessable(
        f'Invalid request.\n\n"{field}" wasn\'t supplied.',
        errors=[{"resource": resource, "field": field, "code": "missing_field"}],
    )
