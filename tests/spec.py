"""Checking HTTP answers against the package's OpenAPI description (``mockprock/openapi.json``).

:func:`check_answer` finds the operation of a request, the response the document
describes for the answer's status, and validates the content type and the body (JSON
Schema 2020-12, the dialect of OpenAPI 3.1) with the document's own ``$ref``s resolved.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import REPO

SPEC_PATH = REPO / "mockprock" / "openapi.json"
SPEC_URI = "urn:mockprock:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecMismatch(AssertionError):
    """An answer the document does not describe."""


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


# The scenario file's schema, beside the document (its ``$ref`` is relative: the URI it
# resolves to from SPEC_URI is the file's name).
SCENARIO_SCHEMA = "scenario.schema.json"


@cache
def _registry() -> Registry:
    scenario = json.loads((SPEC_PATH.parent / SCENARIO_SCHEMA).read_text())
    return Registry().with_resources(
        [
            (SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)),
            (SCENARIO_SCHEMA, Resource.from_contents(scenario, default_specification=DRAFT202012)),
        ]
    )


def pointer(*parts: str) -> str:
    """A JSON pointer into the document (``~`` and ``/`` escaped, as a URI fragment)."""
    escaped = (p.replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(quote(p, safe="") for p in escaped)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` points at (``#/components/...``)."""
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def validate_schema_at(location: str, value: Any) -> None:
    """Validate ``value`` against the schema at ``location`` (a pointer into the document)."""
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{location}"}, registry=_registry())
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}" for e in errors]
        raise SpecMismatch(f"body does not match {location}:\n" + "\n".join(lines[:10]))


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in spec()["paths"]:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template))
    # Literal paths before templated ones of the same shape.
    return sorted(patterns, key=lambda p: p[1].count("{"))


def path_template(path: str) -> str:
    """The document's path template matching a request path (query ignored)."""
    path = urlsplit(path).path
    for regex, template in _path_patterns():
        if regex.match(path):
            return template
    raise SpecMismatch(f"no path of the document matches {path}")


def check_answer(
    method: str, path: str, status: int, content_type: str | None, body: bytes
) -> dict[str, Any]:
    """Check one answer against the document; the response object it matched."""
    template = path_template(path)
    operation = spec()["paths"][template].get(method.lower())
    if operation is None:
        raise SpecMismatch(f"{method} {template} is not described")
    if str(status) not in operation["responses"]:
        raise SpecMismatch(
            f"{method} {template} answered {status}, which the document does not describe: "
            f"{body[:300]!r}"
        )
    response = resolve(operation["responses"][str(status)])
    content = response.get("content")
    if not content:
        if body:
            raise SpecMismatch(f"{method} {template} {status}: a body where none is described")
        return response
    media_type = (content_type or "").split(";")[0].strip()
    if media_type not in content:
        raise SpecMismatch(
            f"{method} {template} {status}: content type {content_type!r}, "
            f"described: {', '.join(content)}"
        )
    if media_type == "application/json":
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise SpecMismatch(f"{method} {template} {status}: not JSON: {exc}") from None
        ref = operation["responses"][str(status)].get("$ref")
        if ref:
            location = ref.removeprefix("#") + pointer("content", media_type, "schema")
        else:
            location = pointer(
                "paths", template, method.lower(), "responses", str(status), "content"
            ) + pointer(media_type, "schema")
        validate_schema_at(location, value)
    return response


def check_response(response: Any) -> dict[str, Any]:
    """:func:`check_answer` for a ``requests`` response."""
    request = response.request
    return check_answer(
        request.method,
        request.path_url,
        response.status_code,
        response.headers.get("Content-Type"),
        response.content,
    )
