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
