"""What the LMS hands its backend, taken from the wire recording of edx-proctoring 6.1.4,
and checks on the shape of what the backend hands back."""

from __future__ import annotations

from typing import Any

import edx_proctoring

from mockprock.conformance.shapes import edx_line
from tests.helpers import wire_requests

# Where the installed edx-proctoring line (5.2 under the platform's pins, 6.1 newest) expects
# something else of a provider: the conformance kit's table, checked here against the real one.
EDX_LINE = edx_line(edx_proctoring.__version__)


def _first_sent(method: str, path_end: str) -> dict[str, Any]:
    for line in wire_requests():
        if line.get("method") == method and line["path"].endswith(path_end):
            return line["json"]
    raise LookupError(f"no {method} ...{path_end} in the wire recording")


def lms_exam(**changes: Any) -> dict[str, Any]:
    """The exam as the LMS serialises it on its first save (``external_id`` still null)."""
    return {**_first_sent("POST", "/api/v1/exam/"), **changes}


def lms_attempt_context(**changes: Any) -> dict[str, Any]:
    """The registration context the LMS builds (the base class adds ``status`` and drops
    ``attempt_code``)."""
    sent = {k: v for k, v in _first_sent("POST", "/attempt/").items() if k != "status"}
    return {**sent, "attempt_code": "CODE-1234", **changes}


def lms_attempt(exam_id: str, attempt_id: str) -> dict[str, Any]:
    """The attempt as the LMS passes it to ``get_attempt``."""
    return {"proctored_exam": {"external_id": exam_id}, "external_id": attempt_id}


def save_exam(backend: Any, **changes: Any) -> str:
    """An exam saved as the LMS saves it: create, then at once again with the new id."""
    exam = lms_exam(**changes)
    external_id = backend.on_exam_saved(dict(exam))
    assert backend.on_exam_saved({**exam, "external_id": external_id}) == external_id
    return external_id


def register(backend: Any, exam_id: str, **changes: Any) -> str:
    """A learner's attempt registered as the LMS registers it (the exam serialised, as the
    LMS hands it over: Proctortrack's backend reads its course and block); its external id."""
    return backend.register_exam_attempt(
        {**lms_exam(), "external_id": exam_id}, lms_attempt_context(**changes)
    )


def assert_shape(answer: Any, shape: dict[str, type | tuple[type, ...]]) -> None:
    """``answer`` is an object holding at least these keys, with values of these types."""
    assert isinstance(answer, dict), f"expected a JSON object, got {answer!r}"
    missing = sorted(set(shape) - set(answer))
    assert not missing, f"answer lacks {missing}: {answer!r}"
    for key, kind in shape.items():
        assert isinstance(answer[key], kind), f"{key}={answer[key]!r} is not {kind}"
