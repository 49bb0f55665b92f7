"""``GET /openapi.json``: the OpenAPI 3.1 description of every route, for vendors and tools.

The document is the package's ``openapi.json`` (it ships in the wheel and the sdist),
served as it is: no authentication, since it tells nothing a client may not know.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from flask import Blueprint, Response

bp = Blueprint("openapi", __name__)


@cache
def document() -> bytes:
    """The OpenAPI document's bytes, read once from the installed package."""
    return files("mockprock").joinpath("openapi.json").read_bytes()


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(document(), mimetype="application/json")
