"""Where the browser worker's npm package (``@edx/mockprock``) is, for the LMS build.

A wheel carries it under ``mockprock/tutor/npm/`` (copied there by ``setup.py``); a
checkout, installed in place or mounted at ``/mnt/mockprock``, has it at its root.
``python -m mockprock.tutor.npm`` prints the folder, which ``npm install`` takes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NPM_NAME = "@edx/mockprock"
# What `npm install` needs of the package: its manifest and the worker's modules.
FILES = ("package.json", "worker/index.js", "worker/desktop-url.js", "worker/configure.js")

_BUNDLED = Path(__file__).resolve().parent / "npm"
_CHECKOUT = Path(__file__).resolve().parents[2]


def _is_worker_package(folder: Path) -> bool:
    manifest = folder / "package.json"
    if not manifest.is_file():
        return False
    return json.loads(manifest.read_text()).get("name") == NPM_NAME and all(
        (folder / name).is_file() for name in FILES
    )


def package_dir() -> Path:
    """The folder holding the worker's npm package; LookupError when there is none."""
    for folder in (_BUNDLED, _CHECKOUT):
        if _is_worker_package(folder):
            return folder
    raise LookupError(f"no {NPM_NAME} package beside mockprock (looked in {_BUNDLED}, {_CHECKOUT})")


def main() -> int:
    try:
        print(package_dir())
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
