"""Refusals as the page and API clients read them: a status and JSON naming the field at fault."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class Refusal(HTTPException):
    """A request the server will not answer: its status, and the field (of the request or folder) at fault."""

    def __init__(self, status: int, field: str, message: str, **extra: object) -> None:
        super().__init__(status, message)
        self.field = field
        self.extra = extra  # more for the page to act on, e.g. {"replaceable": True}


async def json_error(request: Request, error: HTTPException) -> Response:
    """Every refusal as JSON naming the request's field at fault: the path for a 404, the method for a 405."""
    field = getattr(error, "field", {404: "path", 405: "method"}.get(error.status_code))
    document = {"error": error.detail, **({"field": field} if field else {}), **getattr(error, "extra", {})}
    return JSONResponse(document, status_code=error.status_code, headers=error.headers)


def no_query(request: Request) -> None:
    """Most URLs take no parameters; one given is a mistake worth naming, not something to ignore."""
    query(request, ())


def query(request: Request, known: tuple[str, ...]) -> dict[str, str]:
    """The request's query parameters, each of `known` at most once; any other, or one given twice, is
    refused naming it: which of two values was meant is not for the server to guess."""
    found: dict[str, str] = {}
    for field, value in request.query_params.multi_items():
        if field not in known:
            expected = f"expected {' and '.join(known)}" if known else "this URL takes none"
            raise Refusal(400, field[:40], f"unknown query parameter {field[:40]!r}; {expected}")
        if field in found:
            raise Refusal(400, field, f"query parameter {field!r} is given twice; give it once")
        found[field] = value
    return found
