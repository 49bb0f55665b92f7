"""Print pins of the lowest versions setup.cfg allows, as a pip constraints file.

    python3 requirements/lowest.py server edx > lowest.txt
    pip install -c lowest.txt -e '.[server,test,edx]'

Covers ``install_requires`` and the extras named on the command line; every requirement
must have a lower bound (``>=``), which is what the pin takes. Standard library only, so it
runs before any virtualenv exists.
"""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

SETUP_CFG = Path(__file__).resolve().parent.parent / "setup.cfg"
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?P<spec>.*)$")


def _lines(value: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in value.splitlines())
    return [line for line in lines if line]


def lowest_pins(extras: list[str]) -> list[str]:
    config = configparser.ConfigParser()
    config.read(SETUP_CFG)
    requirements = _lines(config.get("options", "install_requires", fallback=""))
    for extra in extras:
        requirements += _lines(config.get("options.extras_require", extra))
    pins: dict[str, str] = {}  # one line per package (the server extra repeats PyJWT)
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        lower = re.search(r">=\s*([^,;\s]+)", match.group("spec")) if match else None
        if not lower:
            raise SystemExit(f"setup.cfg: {requirement!r} has no lower bound (>=) to pin")
        pins[match.group("name").lower()] = f"{match.group('name')}=={lower.group(1)}"
    return list(pins.values())


if __name__ == "__main__":
    print("\n".join(lowest_pins(sys.argv[1:])))
