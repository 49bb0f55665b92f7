"""How a setting's value is read: from text (a flag, a variable) or from JSON (a change
through the control API), checked against its field in :class:`mockprock.config.Settings`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A setting has a value the server cannot use."""


def check_number(f: dataclasses.Field, value: Any, expected: type) -> None:
    """A number setting: of its type (an int setting takes no fraction), finite (no NaN,
    no Infinity, no 1e400) and within its documented range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{f.name} must be a number, not {value!r}")
    if expected is int and not isinstance(value, int):
        raise SettingsError(f"{f.name} must be a whole number, not {value!r}")
    if not math.isfinite(value):
        raise SettingsError(f"{f.name} must be a finite number, not {value!r}")
    maximum = f.metadata.get("maximum")
    if value < 0:
        raise SettingsError(f"{f.name} must not be negative")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{f.name} must be from 0 to {maximum}, not {value!r}")


def is_http_url(text: str) -> bool:
    """``http://host[:port][/path]`` or the same with https."""
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def parse_client(text: str) -> tuple[str, str]:
    """``ID:SECRET`` as a pair; the secret may itself hold colons."""
    client_id, sep, secret = text.partition(":")
    if not sep or not client_id or not secret:
        raise SettingsError(f"a client is given as ID:SECRET, not {text!r}")
    return client_id, secret


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def field_type(f: dataclasses.Field) -> Any:
    # Annotations are strings under `from __future__ import annotations`.
    name = str(f.type).split("|")[0].strip()
    return {"int": int, "float": float, "bool": bool}.get(name, str)


def origin_of(url: str) -> str:
    """The origin (``scheme://host[:port]``) of an http(s) URL, lower-cased, without a
    default port; ValueError when ``url`` is no http(s) URL."""
    parts = urlsplit(url.strip())
    port = parts.port  # raises ValueError for a port that is not a number
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http:// or https:// URL: {url!r}")
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == {"http": 80, "https": 443}[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def parse_origin(text: str) -> str:
    """An origin as given to ``--allow-lms-origin`` / ``--allow-origin``, normalised."""
    try:
        origin = origin_of(text)
        parts = urlsplit(text.strip())
    except ValueError:
        origin, parts = "", None
    if not origin or parts is None or parts.path not in ("", "/") or parts.query:
        raise SettingsError(
            f"an origin is scheme://host[:port], such as http://localhost:18000, not {text!r}"
        )
    return origin


def parse_items(f: dataclasses.Field, items: Any) -> tuple:
    """A repeatable setting's items (strings, or pairs already split) as a tuple."""
    if isinstance(items, str):
        items = [item for item in items.split(",") if item.strip()]
    if not isinstance(items, (list, tuple)):
        raise SettingsError(f"{f.name} must be a list, not {items!r}")
    if f.metadata["repeatable"] == "pairs":
        return tuple(
            parse_client(item.strip()) if isinstance(item, str) else tuple(item) for item in items
        )
    if not all(isinstance(item, str) for item in items):
        raise SettingsError(f"{f.name} must be a list of origins, not {items!r}")
    return tuple(dict.fromkeys(parse_origin(item) for item in items))


def value_of(f: dataclasses.Field, value: Any) -> Any:
    """A given value as its setting's type: text parsed, a list (flags, a stored run-time
    change) as a tuple of parsed items."""
    if f.metadata.get("repeatable"):
        return parse_items(f, value)
    return parse_text(f, value) if isinstance(value, str) else value


def parse_text(f: dataclasses.Field, text: str) -> Any:
    if f.metadata.get("repeatable"):
        return parse_items(f, text)
    kind = field_type(f)
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered in TRUE:
                return True
            if lowered in FALSE:
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise SettingsError(f"{f.name}: cannot read {text!r} as {kind.__name__}") from None
    return text
