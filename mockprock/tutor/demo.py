"""The demo course of ``tutor local do mockprock-demo``: OLX kept in this package.

A small course with proctoring on (provider ``mockprock``): one onboarding exam and one
timed, proctored final exam. The CMS imports it with its own ``import`` command, from the
folder ``python -m mockprock.tutor.demo`` prints (the package in the image, or the
mounted checkout).
"""

from __future__ import annotations

from pathlib import Path

COURSE_DIR = Path(__file__).resolve().parent / "demo_course"
# course.xml's org and course, and its url_name (the run).
COURSE_ID = "course-v1:MockProck+PROC101+demo"


def main() -> int:
    print(COURSE_DIR)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
