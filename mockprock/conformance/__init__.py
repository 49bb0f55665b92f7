"""The conformance kit: judge a proctoring provider's server against the contract of
edx-proctoring's REST backend (``mockprock conformance``).

It plays the LMS (the REST backend's calls, as recorded from edx-proctoring 6.1.4), the
learner's browser, and the LMS's callback side (the stand-in of :mod:`mockprock.lms_stub`),
and reports check by check. :func:`main` is the command; the checks live in
``checks_*.py``, each registered by name in :mod:`~mockprock.conformance.registry`.
"""
