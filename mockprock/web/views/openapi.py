"""``GET /openapi.json``: the OpenAPI 3.1 description of every route, for vendors and tools;
``GET /scenario.schema.json``: the JSON Schema of a scenario file, which it refers to.

The documents are the package's ``openapi.json`` and ``scenario.schema.json`` (they ship
in the wheel and the sdist), served as they are: no authentication, since they tell
nothing a client may not know.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from flask import Blueprint, Response

bp = Blueprint("openapi", __name__)


@cache
def document(name: str = "openapi.json") -> bytes:
    """A document's bytes, read once from the installed package."""
    return files("mockprock").joinpath(name).read_bytes()


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(document(), mimetype="application/json")


@bp.get("/scenario.schema.json")
def scenario_schema() -> Response:
    return Response(document("scenario.schema.json"), mimetype="application/schema+json")
