"""Typed API errors; the HTTP layer turns each into GitHub's error body shape.

Every kind is one `ApiError` subclass made by `_kind`, which differs from the others only in its
status and default message: `raise errors.NotFound()`, `raise errors.Unprocessable("...", errors=[...])`.
"""

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
        errors: list[Any] | str | None = None,
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


def _kind(name: str, status: int, default_message: str) -> type[ApiError]:
    """An ApiError subclass with its own name, status and default message."""
    return type(
        name, (ApiError,), {"status": status, "default_message": default_message, "__module__": __name__}
    )


BadRequest = _kind("BadRequest", 400, "Problems parsing JSON")
Unauthorized = _kind("Unauthorized", 401, "Bad credentials")
Forbidden = _kind("Forbidden", 403, "Forbidden")
NotFound = _kind("NotFound", 404, "Not Found")
MethodNotAllowed = _kind("MethodNotAllowed", 405, "Method Not Allowed")
Conflict = _kind("Conflict", 409, "Conflict")
Unprocessable = _kind("Unprocessable", 422, "Validation Failed")


def missing_field(resource: str, field: str) -> ApiError:
    return Unprocessable(
        f'Invalid request.\n\n"{field}" wasn\'t supplied.',
        errors=[{"resource": resource, "field": field, "code": "missing_field"}],
    )


def invalid_field(resource: str, field: str, *more: str) -> ApiError:
    """422 Validation Failed, naming each field whose value GitHub does not accept."""
    return Unprocessable(
        errors=[{"resource": resource, "field": f, "code": "invalid"} for f in (field, *more)]
    )


def custom(resource: str, message: str) -> ApiError:
    """422 Validation Failed with GitHub's own words in `errors[0].message`."""
    return Unprocessable(errors=[{"resource": resource, "code": "custom", "message": message}])
