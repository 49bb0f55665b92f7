"""Trust boundaries: where callbacks may go, which pages may drive the desktop
application, who may change where secrets go, and what the start-up warns about.
Plain Python over the settings (the README's Security section says what is promised); no Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
from collections import OrderedDict

from mockprock.config import Settings, setting_names
from mockprock.errors import ProviderError
from mockprock.setting_values import origin_of

# The settings that decide where secrets go (``routes_secrets`` in their metadata): the
# LMS token request carries the LMS client secret to ``lms_url``, and callbacks carry the
# LMS token to the allowed origins.
SECRET_ROUTING = setting_names("routes_secrets")
LOOPBACK_NAMES = ("localhost",)


# -- callbacks ----------------------------------------------------------------------------


def callback_base(lms_host: str | None, settings: Settings) -> str:
    """The origin a callback goes to: the attempt's ``lms_host`` reduced to its origin
    (never its path or query), or the origin of ``lms_url`` when it registered none."""
    try:
        return origin_of(lms_host) if lms_host else origin_of(settings.lms_url)
    except ValueError:
        # Kept as given, so the refusal can name it; it is never allowed.
        return lms_host or ""


def callback_refusal(url: str, settings: Settings) -> str | None:
    """Why a callback to ``url`` must not be sent (no token may leave for it), or None
    when its origin is one of the allowed LMS origins."""
    try:
        origin = origin_of(url)
    except ValueError:
        origin = None
    if origin is not None and origin in settings.lms_origins:
        return None
    shown = origin or url
    at_run_time = run_time_route(settings)
    also = f" (or set allowed_lms_origins {at_run_time})" if at_run_time else ""
    return (
        f"not sent: {shown} is not an allowed LMS origin (allowed: "
        f"{', '.join(settings.lms_origins)}); if that is your LMS, restart the server with "
        f"--allow-lms-origin {shown}{also}, then retry the callback"
    )


def redirect_refusal(method: str, url: str, status: int, location: str | None) -> str | None:
    """Why an outbound call that answered ``status`` stops here: no call follows a
    redirect (another origin would get the secret, the token or the callback, and the
    LMS would never see it). None when ``status`` is not a redirect."""
    if not 300 <= status < 400:
        return None
    where = f" to {location}" if location else ""
    return (
        f"{method} {url} answered a {status} redirect{where}; mockprock follows no redirect "
        "(a redirect is another origin): point lms_url (or the attempt's lms_host) at the "
        "address the LMS answers on"
    )


# -- the desktop application -------------------------------------------------------------


def unnamed_desktop_refusal(origin: str | None, settings: Settings) -> ProviderError | None:
    """A worker request that names no attempt is served only from an allowed origin (the
    legacy courseware's worker runs on the LMS's origin); None when this one may go."""
    if origin:
        try:
            if origin_of(origin) in settings.desktop_origins:
                return None
        except ValueError:
            pass
    came_from = f"the origin {origin}" if origin else "a request without an Origin header"
    return ProviderError(
        403,
        "origin_not_allowed",
        f"a desktop request that names no attempt is served only from an allowed origin "
        f"({', '.join(settings.desktop_origins)}), not from {came_from}: name the attempt "
        "with ?attempt=<external id>, or start the server with --allow-origin <origin>",
    )


def cors_origin(origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` a desktop answer carries: the request's own
    origin echoed, never ``*``. A named attempt is served to any origin, and a refusal
    (which names no attempt) is readable so the worker can show why; None for no origin
    or one that is not an origin (a Blob worker of an opaque origin sends ``null``)."""
    if origin == "null":
        return origin
    try:
        return origin if origin and origin_of(origin) else None
    except ValueError:
        return None


# -- live credentials ---------------------------------------------------------------------


def credential_fingerprint(key: str, client_id: str, secret: str) -> str:
    """What a provider token or a console session keeps of the credentials it was made
    with (a hash keyed with the server's own key: it tells nothing of the secret). It is
    valid only while the client is accepted now with that same secret."""
    message = f"{client_id}\0{secret}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def still_accepted(key: str, client_id: str, secret_now: str | None, fingerprint: str) -> bool:
    """True when ``client_id`` is accepted now (``secret_now``, None when it is not) with
    the secret ``fingerprint`` was made from."""
    if secret_now is None:
        return False
    expected = credential_fingerprint(key, client_id, secret_now)
    return hmac.compare_digest(expected.encode(), (fingerprint or "").encode())


class SignIns:
    """The console's live sessions, held by the server (the cookie carries only a random
    session id): sign-out ends one, a restart ends them all, and one whose client is no
    longer accepted is not signed in. The oldest go first past ``limit``."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._live: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def open(self, client_id: str, fingerprint: str) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._live[session_id] = (client_id, fingerprint)
            while len(self._live) > self.limit:
                self._live.popitem(last=False)
        return session_id

    def get(self, session_id: str | None) -> tuple[str, str] | None:
        """The client id and credential fingerprint of a live session, or None."""
        if not session_id:
            return None
        with self._lock:
            return self._live.get(session_id)

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._live.pop(session_id or "", None)


# -- operators ----------------------------------------------------------------------------


def listens_on_loopback_only(host: str) -> bool:
    """True when ``host`` (the address bound) is reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_time_route(settings: Settings) -> str | None:
    """How the settings that decide where secrets go can change while this server runs,
    as a hint's words; None when nobody may (only a restart with flags changes them), so
    a hint never names an action that would be refused."""
    if settings.admins:
        return "as an operator (a client named with --admin) with PATCH /mockprock/api/settings"
    if listens_on_loopback_only(settings.host):
        return "with PATCH /mockprock/api/settings"
    return None


def is_hardened(settings: Settings) -> bool:
    """True when only a named operator may change where secrets go: operators named with
    ``--admin``, or an address reachable from other machines."""
    return bool(settings.admins) or not listens_on_loopback_only(settings.host)


def stored_routing_note(
    name: str, value: object, settings: Settings, by_operator: bool
) -> tuple[bool, str]:
    """Whether a stored change of a setting deciding where secrets go (``name``) applies
    at this start, and the banner line that says so. A hardened start (see
    :func:`is_hardened`) applies only a change a named operator stored; one kept by an
    older mockprock, or made while anyone on loopback could, is ignored (its flag gives
    it back). Secret values are never shown."""
    shown = "(a secret)" if name == "lms_client_secret" else value
    flag = "--" + name.replace("_", "-")
    if not is_hardened(settings) or by_operator:
        who = "an operator" if by_operator else "a client"
        return True, (
            f"{name} {shown} comes from the store ({who} changed it at run time); "
            f"{flag} overrides it"
        )
    return False, (
        f"ignored the stored {name} {shown}: it was not set by an operator, and this start "
        f"is hardened (--admin named, or not loopback only); give {flag} to use it, or "
        "have an operator set it again"
    )


def operator_refusal(
    settings: Settings, is_admin: bool, names: list[str], action: str | None = None
) -> ProviderError | None:
    """Only an operator changes the settings that decide where secrets go (``names``),
    or does ``action`` (asking the LMS for a token now): a client named with ``--admin``,
    or, with none named, any accepted client while the server listens on loopback only.
    None when the caller may."""
    if is_admin:
        return None
    if not settings.admins and listens_on_loopback_only(settings.host):
        return None
    why = (
        "this client is not one named with --admin"
        if settings.admins
        else f"the server listens on {settings.host}, not on loopback only, and names no "
        "operator with --admin ID:SECRET"
    )
    what = (
        f"{action} is for an operator only"
        if action
        else f"{', '.join(names)} decide(s) where secrets go and change(s) at run time only "
        "for an operator"
    )
    return ProviderError(403, "operator_only", f"{what}: {why}")


# -- start-up -----------------------------------------------------------------------------


def exposure_warning(settings: Settings) -> str | None:
    """A warning when a non-loopback address is bound while any id+``secret`` client is
    accepted (no ``--client`` given); None otherwise."""
    if settings.clients or listens_on_loopback_only(settings.host):
        return None
    return (
        f"WARNING: bound to {settings.host} (not loopback only) while any client whose "
        "secret is its id followed by 'secret' is accepted: anyone who can reach this port "
        "can call the provider and the control API. Name the clients with "
        "--client ID:SECRET, or listen on this machine only with --host 127.0.0.1."
    )
