"""What the views work with: one :class:`Services` per app, in
``app.extensions['mockprock']``. Views import this module, never the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from mockprock.callbacks.outbox import Outbox
from mockprock.config import Settings
from mockprock.provider.facade import Provider
from mockprock.provider.pages import Pages
from mockprock.store import Store


@dataclass
class Services:
    store: Store
    provider: Provider
    pages: Pages

    @property
    def settings(self) -> Settings:
        return self.provider.settings

    @property
    def outbox(self) -> Outbox:
        """The callbacks to the LMS; ``outbox.dispatcher.start()`` runs their dispatcher
        thread."""
        return self.provider.outbox

    def close(self) -> None:
        self.outbox.dispatcher.stop()
        self.store.close()


def services() -> Services:
    """The current app's services."""
    return current_app.extensions["mockprock"]


def provider() -> Provider:
    """The facade every view calls."""
    return services().provider


def pages() -> Pages:
    """The facade every page view calls."""
    return services().pages
