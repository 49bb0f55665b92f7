"""The LMS-side plugin: edx-proctoring's REST backend, pointed at a mockprock server.

The LMS loads it through the entry point ``openedx.proctoring`` = ``mockprock`` once
``PROCTORING_BACKENDS`` names it::

    PROCTORING_BACKENDS = {
        'DEFAULT': 'mockprock',
        'mockprock': {'client_id': 'abcd', 'client_secret': 'abcdsecret'},
    }

It imports ``edx_proctoring``, so only an LMS (or the contract tests) imports it. Every
call to the provider is the base class's own: this class only says where the server is
and what the LMS shows about it.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from edx_proctoring.backends.rest import BaseRestProctoringProvider

from mockprock.dashboard_link import DASHBOARD_LINK_SECONDS

DEFAULT_BASE_URL = "http://host.docker.internal:11136"
BASE_URL_VARIABLE = "MOCKPROCK_BASE_URL"
# A Django setting, as PROCTORING_BACKENDS passes the backend only allow-listed keys.
PUBLIC_URL_SETTING = "MOCKPROCK_PUBLIC_URL"


class MockProckBackend(BaseRestProctoringProvider):
    """The mockprock provider, as ``PROCTORING_BACKENDS['mockprock']`` configures it.

    Where the server is, first match wins: the ``base_url`` key of
    ``PROCTORING_BACKENDS['mockprock']``, the environment variable ``MOCKPROCK_BASE_URL``
    of the LMS process, then ``http://host.docker.internal:11136`` (the host, seen from
    a devstack or Tutor container).
    """

    base_url = DEFAULT_BASE_URL
    verbose_name = "Mock Proctoring Service"
    tech_support_email = "mockprock-support@example.com"
    tech_support_phone = "+1 555-0100"
    # The worker the LMS bundles (package.json at the root of this repository).
    npm_module = "@edx/mockprock"
    # Stated, not inherited: the server serves the instructor dashboard and an
    # onboarding gate whatever the base class's defaults become.
    has_dashboard = True
    supports_onboarding = True
    # Dashboard links stay valid for a day, so a reviewer can reload the page.
    token_expiration_time = DASHBOARD_LINK_SECONDS

    def __init__(
        self, client_id: str | None = None, client_secret: str | None = None, **options: Any
    ) -> None:
        base_url = options.get("base_url") or os.environ.get(BASE_URL_VARIABLE) or self.base_url
        # The base class appends '/api/v1/...' and '/oauth2/access_token' to it.
        options["base_url"] = base_url.rstrip("/")
        super().__init__(client_id, client_secret, **options)

    @property
    def instructor_url(self) -> str:
        """Where the LMS sends the instructor's browser: the server's public URL (the
        Django setting ``MOCKPROCK_PUBLIC_URL``) when ``base_url`` names a host only the
        LMS resolves, such as a compose service; else ``base_url``."""
        public = getattr(settings, PUBLIC_URL_SETTING, None) or self.base_url
        return public.rstrip("/") + "/api/v1/instructor/{client_id}/?jwt={jwt}"
