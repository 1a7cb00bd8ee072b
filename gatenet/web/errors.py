"""Refusals as the page and API clients read them: a status and JSON naming the field at fault."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class Refusal(HTTPException):
    """A request the server will not answer: its status, and the field (of the request or folder) at fault."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(status, message)
        self.field = field


async def json_error(request: Request, error: HTTPException) -> Response:
    """Every refusal as JSON naming the request's field at fault: the path for a 404, the method for a 405."""
    field = getattr(error, "field", {404: "path", 405: "method"}.get(error.status_code))
    document = {"error": error.detail, **({"field": field} if field else {})}
    return JSONResponse(document, status_code=error.status_code, headers=error.headers)


def no_query(request: Request) -> None:
    """Most URLs take no parameters; one given is a mistake worth naming, not something to ignore."""
    for field in request.query_params:
        raise Refusal(400, field, f"unknown query parameter {field!r}; this URL takes none")
