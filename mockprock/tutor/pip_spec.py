"""What pip installs for mockprock in the Tutor images, with an extra added.

``MOCKPROCK_PIP_SPEC`` names mockprock for pip: the release (``mockprock==2.0.0``) or a
direct reference (``mockprock @ https://host/mockprock-2.0.0-py3-none-any.whl``,
``mockprock @ git+https://github.com/OWNER/mockprock@REF``). The openedx image installs
it as it is; the server's image needs the ``server`` extra on the same source.
"""

from __future__ import annotations

import re

_NAMED = re.compile(r"\s*mockprock(?:\[(?P<extras>[^\]]*)\])?(?P<rest>.*)", re.I | re.S)


def with_extra(spec: str, extra: str) -> str:
    """``spec`` with ``extra`` among its extras.

    ``mockprock==2.0.0`` gives ``mockprock[server]==2.0.0``; a bare URL (``git+https://...``,
    ``https://.../x.whl``) becomes a direct reference, ``mockprock[server] @ URL``.
    """
    named = _NAMED.fullmatch(spec)
    rest = named.group("rest") if named else ""
    if not named or (rest and (rest[0].isalnum() or rest[0] in "-_.")):
        # Not "mockprock..." (a URL or a path): name it.
        return f"mockprock[{extra}] @ {spec.strip()}"
    extras = [e.strip() for e in (named.group("extras") or "").split(",") if e.strip()]
    if extra not in extras:
        extras.append(extra)
    return f"mockprock[{','.join(extras)}]{rest.rstrip()}"
