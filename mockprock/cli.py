"""The ``mockprock`` command."""

from __future__ import annotations

from typing import Any

import click

from mockprock import __version__
from mockprock.config import click_options


@click.group()
@click.version_option(__version__, prog_name="mockprock")
def main() -> None:
    """mockprock: a stand-in proctoring provider for Open edX development."""


@main.command()
@click_options
def serve(**options: Any) -> None:
    """Run the provider server (every option also reads MOCKPROCK_<NAME>)."""
    from mockprock.server import load_settings
    from mockprock.server import serve as run

    run(load_settings(options))
