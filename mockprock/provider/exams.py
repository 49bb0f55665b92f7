"""Exams the LMS creates and updates: one provider id per LMS exam. Plain Python."""

from __future__ import annotations

import logging
from typing import Any

from mockprock.errors import found, not_found
from mockprock.store import Store, new_id

log = logging.getLogger(__name__)


def view(exam: dict[str, Any]) -> dict[str, Any]:
    """An exam as the API shows it: the LMS's fields under their wire names."""
    shown = {k: v for k, v in exam.items() if k not in ("payload", "lms_exam_id", "client_id")}
    shown["lms_exam_id"] = exam["lms_exam_id"]
    shown["external_id"] = exam["id"]
    return shown


def get(store: Store, exam_id: str, client_id: str | None) -> dict[str, Any]:
    """The exam, or a 404; with ``client_id``, only one that client created (another
    client's exam is as unknown as one that does not exist)."""
    return found(store.exams.get_exam(exam_id, client_id), "exam", exam_id)


def create(store: Store, client_id: str, exam: dict[str, Any], payload: dict[str, Any]) -> str:
    """Store a new LMS exam; the same LMS exam posted again keeps its id."""
    with store.database.transaction():
        exam_id = store.exams.find_exam_id(client_id, exam["lms_exam_id"], exam["content_id"])
        created = exam_id is None
        exam_id = exam_id or new_id()
        store.exams.save_exam(exam_id, client_id, exam, payload)
    log.info("exam %s %s: %s", exam_id, "new" if created else "saved again", exam["exam_name"])
    return exam_id


def update(
    store: Store, client_id: str, exam_id: str, exam: dict[str, Any], payload: dict[str, Any]
) -> str:
    """Update exam ``exam_id``; the id answered is the one the LMS should keep. The store
    refuses (409) an update that would give another exam's LMS exam to this one; an exam
    of another client is a 404 and stays as it is."""
    with store.database.transaction():
        known = store.exams.find_exam_id(client_id, exam["lms_exam_id"], exam["content_id"])
        if known is not None and known != exam_id:
            # This LMS exam already lives under another id: the LMS switches to it.
            log.warning("exam %s is known as %s; answering that id", exam_id, known)
            exam_id = known
        holder = store.exams.get_exam(exam_id)
        if holder is not None and holder["client_id"] != client_id:
            raise not_found("exam", exam_id)
        if holder is None:
            log.warning("exam %s was not in the store; re-created it from the update", exam_id)
        store.exams.save_exam(exam_id, client_id, exam, payload)
    return exam_id


def course_overview(store: Store, client_id: str, course_id: str) -> list[dict[str, Any]]:
    """The client's exams of the course with how many attempts each has (the dashboard's
    course view)."""
    counts = store.exams.attempt_counts_by_exam(client_id, course_id)
    return [
        {**view(exam), "attempt_count": counts.get(exam["id"], 0)}
        for exam in store.exams.list_exams(client_id, course_id)
    ]


def set_rules(store: Store, exam: dict[str, Any], rules: dict[str, bool]) -> dict[str, Any]:
    """Switch the exam's rules (a reviewer's configuration view); other fields stay."""
    with store.database.transaction():
        store.exams.save_exam(
            exam["id"], exam["client_id"], {**exam, "rules": rules}, exam["payload"]
        )
    log.info("exam %s rules set: %s", exam["id"], ", ".join(f"{k}={v}" for k, v in rules.items()))
    return get(store, exam["id"], exam["client_id"])
