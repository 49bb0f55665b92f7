"""PyJWT's warning about short HMAC keys, under one name on every PyJWT we support.

PyJWT 2.11 added ``jwt.warnings.InsecureKeyLengthWarning`` (an HS256 key shorter than
32 bytes); the Open edX platform pins PyJWT 2.10.1, which has no such class and does not
warn. Everything that filters the warning (the server, dashboard links, pytest.ini) names
this module's class, which is PyJWT's own where it exists.
"""

from __future__ import annotations

__all__ = ["InsecureKeyLengthWarning"]

try:
    from jwt.warnings import InsecureKeyLengthWarning
except ImportError:  # PyJWT < 2.11

    class InsecureKeyLengthWarning(UserWarning):  # type: ignore[no-redef]
        """Never raised: PyJWT before 2.11 does not warn about key length."""
