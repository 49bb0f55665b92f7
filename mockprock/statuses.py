"""Every status vocabulary, spelled as edx-proctoring spells it; the one place each is
written. Other modules (the LMS stand-in too) import these names."""

from __future__ import annotations

# -- attempt statuses (edx-proctoring's ProctoredExamStudentAttemptStatus) -------------
ELIGIBLE = "eligible"
CREATED = "created"
DOWNLOAD_SOFTWARE_CLICKED = "download_software_clicked"
READY_TO_START = "ready_to_start"
STARTED = "started"
READY_TO_SUBMIT = "ready_to_submit"
DECLINED = "declined"
TIMED_OUT = "timed_out"
SUBMITTED = "submitted"
SECOND_REVIEW_REQUIRED = "second_review_required"
VERIFIED = "verified"
REJECTED = "rejected"
ERROR = "error"
EXPIRED = "expired"
ONBOARDING_RESET = "onboarding_reset"
ONBOARDING_MISSING = "onboarding_missing"
ONBOARDING_PENDING_ATTEMPT = "onboarding_pending"
ONBOARDING_FAILED = "onboarding_failed"
ONBOARDING_EXPIRED_ATTEMPT = "onboarding_expired"

# Every status the LMS gives an attempt; PATCH accepts exactly these.
ATTEMPT_STATUSES = frozenset(
    {
        ELIGIBLE,
        CREATED,
        DOWNLOAD_SOFTWARE_CLICKED,
        READY_TO_START,
        STARTED,
        READY_TO_SUBMIT,
        DECLINED,
        TIMED_OUT,
        SUBMITTED,
        SECOND_REVIEW_REQUIRED,
        VERIFIED,
        REJECTED,
        ERROR,
        EXPIRED,
        ONBOARDING_RESET,
        ONBOARDING_MISSING,
        ONBOARDING_PENDING_ATTEMPT,
        ONBOARDING_FAILED,
        ONBOARDING_EXPIRED_ATTEMPT,
    }
)
# Before the learner is done: a queued decision waits for the submission.
BEFORE_SUBMISSION = frozenset(
    {CREATED, DOWNLOAD_SOFTWARE_CLICKED, READY_TO_START, STARTED, READY_TO_SUBMIT}
)
# The LMS takes a ``ready`` callback only from these; submitted means done.
READY_FROM = (CREATED, DOWNLOAD_SOFTWARE_CLICKED)
DONE = (SUBMITTED, TIMED_OUT)

# What may follow what: edx-proctoring's own rule (``is_state_transition_legal`` and
# ``ProctoredExamStudentAttemptStatus``): a completed attempt never goes back to an
# incomplete status (the way back is a new attempt). The LMS never sends more than its
# own rule allows: ``started`` only the first time, ``submitted`` and ``error`` from any.
COMPLETED = frozenset(
    {
        DECLINED,
        TIMED_OUT,
        SUBMITTED,
        SECOND_REVIEW_REQUIRED,
        VERIFIED,
        REJECTED,
        ERROR,
        ONBOARDING_MISSING,
        ONBOARDING_PENDING_ATTEMPT,
        ONBOARDING_FAILED,
        ONBOARDING_EXPIRED_ATTEMPT,
    }
)
INCOMPLETE = frozenset(
    {ELIGIBLE, CREATED, DOWNLOAD_SOFTWARE_CLICKED, READY_TO_START, STARTED, READY_TO_SUBMIT}
)


def may_follow(from_status: str, to_status: str) -> bool:
    """Whether an attempt in ``from_status`` may move to ``to_status``."""
    return not (from_status in COMPLETED and to_status in INCOMPLETE)


# -- review verdicts (edx-proctoring's SoftwareSecureReviewStatus) ---------------------
PASSED = "passed"
VIOLATION = "violation"
SUSPICIOUS = "suspicious"
NOT_REVIEWED = "not_reviewed"
REVIEW_STATUSES = (PASSED, VIOLATION, SUSPICIOUS, NOT_REVIEWED)

# The two callbacks to the LMS (the last piece of their path); ``ready`` is also the
# ready callback's status.
READY = "ready"
REVIEWED = "reviewed"

# -- onboarding profiles (what the provider stores, and the control API may set) --------
PROFILE_APPROVED = "approved"
PROFILE_REJECTED = "rejected"
PROFILE_PENDING = "pending"
PROFILE_EXPIRED = "expired"
PROFILE_NONE = "none"  # a setting only: removes the profile
PROFILE_SETTINGS = (
    PROFILE_APPROVED,
    PROFILE_REJECTED,
    PROFILE_PENDING,
    PROFILE_EXPIRED,
    PROFILE_NONE,
)

# What the onboarding statuses endpoint reports (VerificientOnboardingProfileStatus).
ONBOARDING_NO_PROFILE = "no-profile"
ONBOARDING_APPROVED_IN_COURSE = "approved-in-course"
ONBOARDING_APPROVED_ELSEWHERE = "approved-in-different-course"
ONBOARDING_REJECTED = PROFILE_REJECTED
ONBOARDING_EXPIRED = PROFILE_EXPIRED
ONBOARDING_PENDING = PROFILE_PENDING
ONBOARDING_STATUSES = (
    ONBOARDING_APPROVED_IN_COURSE,
    ONBOARDING_APPROVED_ELSEWHERE,
    ONBOARDING_REJECTED,
    ONBOARDING_EXPIRED,
    ONBOARDING_PENDING,
    ONBOARDING_NO_PROFILE,
)

# -- the desktop application --------------------------------------------------------
# The developer's faults (a session's state).
APP_RUNNING = "running"
APP_CRASHED = "crashed"
APP_NOT_INSTALLED = "not_installed"
DESKTOP_STATES = (APP_RUNNING, APP_CRASHED, APP_NOT_INSTALLED)
# What the application answers besides running.
APP_NOT_STARTED = "not_started"
APP_UPLOADING = "uploading"
APP_UPLOADED = "uploaded"

# -- callbacks in the outbox --------------------------------------------------------
CALLBACK_PENDING = "pending"
CALLBACK_HELD = "held"
CALLBACK_SENDING = "sending"
CALLBACK_DELIVERED = "delivered"
CALLBACK_FAILED = "failed"
CALLBACK_STATES = (
    CALLBACK_PENDING,
    CALLBACK_HELD,
    CALLBACK_SENDING,
    CALLBACK_DELIVERED,
    CALLBACK_FAILED,
)

# -- what an attempt's timeline records (attempt_events.kind) ----------------------------
EVENT_REGISTERED = "registered"
EVENT_STATUS = "status"
EVENT_CALLBACK = "callback"
EVENT_DECISION = "decision"
EVENT_ONBOARDING_PROFILE = "onboarding_profile"
# The desktop application's story (see ``desktop``).
EVENT_DESKTOP_STARTED = "desktop_started"
EVENT_DESKTOP_START_FAILED = "desktop_start_failed"
EVENT_DESKTOP_PING_FAILED = "desktop_ping_failed"
EVENT_DESKTOP_CRASHED = "desktop_crashed"
EVENT_DESKTOP_RECOVERED = "desktop_recovered"
EVENT_DESKTOP_STOPPED = "desktop_stopped"
EVENT_DESKTOP_FAULT = "desktop_fault"
EVENT_DESKTOP_UPLOAD_DONE = "desktop_upload_done"
EVENT_DESKTOP_ATTEMPT_INFERRED = "desktop_attempt_inferred"

# -- who queued a callback (callbacks.source) ---------------------------------------------
CALLBACK_BY_RULE = "auto"  # the rules: a download page, a desktop start, a submission
CALLBACK_BY_DECISION = "decision"  # a verdict queued by hand
CALLBACK_BY_CONTROL = "control"  # the ready callback sent by hand
CALLBACK_SOURCES = (CALLBACK_BY_RULE, CALLBACK_BY_DECISION, CALLBACK_BY_CONTROL)

# -- where a verdict queued by hand came from (review_decisions.source) -------------------
DECISION_BY_CONTROL_API = "control API"
DECISION_BY_CONSOLE = "console"
DECISION_BY_DASHBOARD = "dashboard"
DECISION_SOURCES = (DECISION_BY_CONTROL_API, DECISION_BY_CONSOLE, DECISION_BY_DASHBOARD)

# -- the reviewer's dashboard views --------------------------------------------------------
DASHBOARD_COURSE = "course"
DASHBOARD_EXAM = "exam"
DASHBOARD_ATTEMPT = "attempt"
DASHBOARD_CONFIG = "config"
DASHBOARD_VIEWS = (DASHBOARD_COURSE, DASHBOARD_EXAM, DASHBOARD_ATTEMPT, DASHBOARD_CONFIG)

# -- the onboarding gate (the ``onboarding`` setting) --------------------------------------
ONBOARDING_OPTIONAL = "optional"
ONBOARDING_REQUIRED = "required"
ONBOARDING_MODES = (ONBOARDING_OPTIONAL, ONBOARDING_REQUIRED)

# -- the server's clock (the ``clock`` setting) ---------------------------------------------
CLOCK_SYSTEM = "system"
CLOCK_MANUAL = "manual"
CLOCK_MODES = (CLOCK_SYSTEM, CLOCK_MANUAL)
