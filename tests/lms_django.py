"""The one Django configuration of the test process: a small LMS around the real
``edx_proctoring``.

Django can be configured once per process, so the contract tests (the backend's calls to a
provider) and the real-LMS tests (the provider's callbacks into edx-proctoring's views) share
these settings. They are what edx-platform sets for the parts edx-proctoring uses: its URLs
under ``/api/``, JWT authentication of the callback views, the ``rules`` permission backend
behind ``can_review_attempt``, atomic requests. The database is a SQLite file in a temporary
folder: the LMS server's threads and the test's thread share it.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from typing import Any

import django
from django.conf import settings

# edx-platform's pattern (openedx/core/constants.py), which edx_proctoring's URLs embed.
COURSE_KEY_PATTERN = r"(?P<course_key_string>[^/+]+(/|\+)[^/+]+(/|\+)[^/?]+)"
JWT_ISSUER = "http://127.0.0.1/oauth2"
JWT_AUDIENCE = "lms-key"
# The worker bundle the LMS's webpack builds from workers.json (edx-platform's
# WEBPACK_LOADER['WORKERS'] stats file), as an exam page links it.
WORKER_BUNDLE_URL = "/static/bundles/mockprock-worker.js"


def _public_signing_jwk_set() -> str:
    """A JWK set with one RSA public key, as every deployed LMS has (Tutor and devstack
    generate one). It matters: with no JWK set, edx-drf-extensions' decoder skips the
    signature check altogether (an empty key set "verifies" any token)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [{**public, "kid": "lms-test", "use": "sig"}]})


_JWK_SET: list[str] = []


def jwt_auth(secret: str) -> dict[str, Any]:
    """edx-platform's ``JWT_AUTH`` for client-credentials JWTs: signed with ``secret``
    (HS256, its default unless the client asks ``asymmetric_jwt``), checked against it and
    the LMS's public keys."""
    if not _JWK_SET:
        _JWK_SET.append(_public_signing_jwk_set())
    return {
        "JWT_ISSUER": JWT_ISSUER,
        "JWT_AUDIENCE": JWT_AUDIENCE,
        "JWT_SECRET_KEY": secret,
        "JWT_ISSUERS": [{"ISSUER": JWT_ISSUER, "AUDIENCE": JWT_AUDIENCE, "SECRET_KEY": secret}],
        "JWT_ALGORITHM": "HS256",
        "JWT_SUPPORTED_VERSION": "1.2.0",
        "JWT_VERIFY_EXPIRATION": True,
        "JWT_LEEWAY": 1,
        "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
        "JWT_AUTH_HEADER_PREFIX": "JWT",
        "JWT_AUTH_COOKIE": "edx-jwt-cookie",
        "JWT_PUBLIC_SIGNING_JWK_SET": _JWK_SET[0],
    }


def lms_settings(data_dir: str) -> dict[str, Any]:
    return {
        "SECRET_KEY": "mockprock-test-lms",
        "DEBUG": False,
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            # Loads edx_proctoring/rules.py, where can_review_attempt is defined.
            "rules.apps.AutodiscoverRulesConfig",
            "rest_framework",
            "waffle",
            # edx_proctoring's api imports its models.
            "edx_when",
            "edx_proctoring",
        ],
        "MIDDLEWARE": [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "crum.CurrentRequestUserMiddleware",
        ],
        "AUTHENTICATION_BACKENDS": [
            "rules.permissions.ObjectPermissionBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "ROOT_URLCONF": "tests.real_lms.urls",
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": f"{data_dir}/lms.sqlite",
                # edx-platform runs each request in a transaction.
                "ATOMIC_REQUESTS": True,
                # Writers queue up instead of failing: a callback's request and the test's
                # own calls into the api write from different threads.
                "OPTIONS": {
                    "timeout": 20,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL;",
                },
            }
        },
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {},
            }
        ],
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LANGUAGE_CODE": "en-us",
        "USE_I18N": True,
        "USE_TZ": True,
        "PLATFORM_NAME": "Test LMS",
        # The LMS tells a provider to call it back at HTTPS/SITE_NAME (lms_host): the
        # real-LMS server sets SITE_NAME to its address once it has a port.
        "SITE_NAME": "localhost",
        "HTTPS": "off",
        "LMS_ROOT_URL": "http://localhost",
        "LEARNING_MICROFRONTEND_URL": "http://localhost:2000",
        "CONTACT_EMAIL": "contact@lms.example",
        "TECH_SUPPORT_EMAIL": "support@lms.example",
        "DEFAULT_FROM_EMAIL": "lms@lms.example",
        "COURSE_ID_PATTERN": COURSE_KEY_PATTERN.replace("course_key_string", "course_id"),
        "COURSE_KEY_PATTERN": COURSE_KEY_PATTERN,
        "PROCTORING_USER_OBFUSCATION_KEY": "mockprock-test-obfuscation",
        "PROCTORING_SETTINGS": {},
        "PROCTORING_BACKENDS": {"DEFAULT": "mockprock", "mockprock": {}},
        "JWT_AUTH": jwt_auth("the-test-lms-jwt-secret-of-32-bytes-or-more"),
        # ready() writes workers.json under ENV_ROOT, and only when NODE_MODULES_ROOT is set.
        "ENV_ROOT": data_dir,
        "STATIC_URL": "/static/",
        "WEBPACK_LOADER": {
            "WORKERS": {
                "BUNDLE_DIR_NAME": "bundles/",
                "STATS_FILE": f"{data_dir}/webpack-worker-stats.json",
            }
        },
    }


def _write_worker_stats(data_dir: str) -> None:
    """The stats file webpack-bundle-tracker writes once the LMS built the worker."""
    name = WORKER_BUNDLE_URL.rsplit("/", 1)[-1]
    stats = {
        "status": "done",
        "chunks": {"@edx/mockprock": [name]},
        "assets": {name: {"name": name, "publicPath": WORKER_BUNDLE_URL}},
    }
    with open(f"{data_dir}/webpack-worker-stats.json", "w", encoding="utf-8") as stats_file:
        json.dump(stats, stats_file)


def configure_lms() -> None:
    """Configure Django for this process, once."""
    if settings.configured:
        return
    data_dir = tempfile.mkdtemp(prefix="mockprock-lms-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    _write_worker_stats(data_dir)
    settings.configure(**lms_settings(data_dir))
    django.setup()


def load_backend(backend: str = "mockprock", **options: Any) -> Any:
    """The LMS's default backend after its start-up with ``PROCTORING_BACKENDS[backend]
    = options`` (the allow-listed keys reach the backend, as in the LMS): edx_proctoring's
    own ``ready()`` instantiates every ``openedx.proctoring`` entry point it names, such as
    ``proctortrack`` (the real edx-proctoring-proctortrack-v2 from PyPI)."""
    from django.apps import apps
    from django.core.cache import cache
    from django.test.utils import override_settings
    from edx_django_utils.cache import RequestCache
    from edx_proctoring.backends import get_backend_provider

    # OAuth tokens are cached per server URL, and a later test's server may get a port
    # an earlier one had.
    cache.clear()
    RequestCache.clear_all_namespaces()
    with override_settings(PROCTORING_BACKENDS={"DEFAULT": backend, backend: options}):
        apps.get_app_config("edx_proctoring").ready()
        return get_backend_provider()
