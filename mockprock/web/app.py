"""The Flask app factory."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask

from mockprock.clock import clock_for
from mockprock.config import Settings
from mockprock.dashboard_link import VENDOR_PATHS
from mockprock.provider.facade import Provider
from mockprock.provider.pages import Pages
from mockprock.store import Store
from mockprock.web.services import Services

__all__ = ["Services", "create_app"]

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, store: Store | None = None, explicit: Iterable[str] = ()
) -> Flask:
    """A provider server app for ``settings`` (default: flags' defaults and MOCKPROCK_* vars).

    ``explicit`` names the settings given by a flag or an environment variable: changes
    stored through the control API apply to all the others. The server's one clock (the
    ``clock`` setting) is its store's: every timed rule asks it; a store handed in brings
    its own."""
    settings = settings or Settings.load()
    store = store or Store(settings.db, clock=clock_for(settings.clock))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # answers keep the order they are built in
    # The LMS calls some routes with a trailing slash and some without; answer both
    # without a redirect (a redirected POST is one more thing to go wrong).
    app.url_map.strict_slashes = False
    provider = Provider(store, settings, explicit, clock=store.clock)
    app.extensions["mockprock"] = Services(store=store, provider=provider, pages=Pages(provider))

    from mockprock.web.views import (
        common,
        console,
        control,
        dashboard,
        desktop,
        html,
        oauth,
        pages,
        provider_api,
    )
    from mockprock.web.views.openapi import bp as openapi_bp

    common.register_converters(app)
    common.register_error_handlers(app)
    html.init_app(app, store.settings.session_secret())
    app.register_blueprint(oauth.bp)
    app.register_blueprint(provider_api.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(desktop.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(openapi_bp)
    serve_vendor_paths(app)
    return app


def serve_vendor_paths(app: Flask) -> None:
    """Each path of :data:`VENDOR_PATHS` answered by the view of mockprock's own path: the
    same endpoint (so its blueprint's journal, error pages and headers apply) and methods.
    ``url_for`` keeps building mockprock's own path, registered first."""
    own = {rule.rule: rule for rule in app.url_map.iter_rules()}
    for paths in VENDOR_PATHS.values():
        for path, vendor_path in paths.items():
            rule = own[path]
            app.add_url_rule(
                vendor_path,
                endpoint=rule.endpoint,
                view_func=app.view_functions[rule.endpoint],
                methods=sorted(rule.methods - {"HEAD", "OPTIONS"}),
            )
