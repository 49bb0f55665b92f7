"""The callback retry rules, without a server: the backoff, what each LMS answer means for
a callback, and when retries stop."""

from __future__ import annotations

import pytest

from mockprock.callbacks.callback_states import (
    MAX_BACKOFF_SECONDS,
    answer_outcome,
    out_of_time,
    retry_delay,
)
from mockprock.statuses import CALLBACK_DELIVERED, CALLBACK_FAILED


def test_backoff_doubles_from_the_first_delay_and_is_capped_near_a_minute() -> None:
    delays = [retry_delay(tries, 1.0) for tries in range(1, 10)]
    assert delays[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert delays[6:] == [MAX_BACKOFF_SECONDS] * 3
    assert MAX_BACKOFF_SECONDS == 60.0
    assert retry_delay(1000, 1.0) == MAX_BACKOFF_SECONDS  # no overflow
    assert retry_delay(3, 0.25) == 1.0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, CALLBACK_DELIVERED),
        (204, CALLBACK_DELIVERED),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (400, CALLBACK_FAILED),
        (403, CALLBACK_FAILED),  # after the one retry with a new token
        (404, CALLBACK_FAILED),
        (412, CALLBACK_FAILED),
        (301, CALLBACK_FAILED),
    ],
)
def test_answer_outcome(status, outcome) -> None:
    assert answer_outcome(status) == outcome


def test_retries_stop_when_the_next_try_would_pass_the_window() -> None:
    assert not out_of_time(first_try_at=0, now=100, next_delay=60, retry_seconds=86400)
    assert out_of_time(first_try_at=0, now=86350, next_delay=60, retry_seconds=86400)
    assert not out_of_time(first_try_at=0, now=86340, next_delay=60, retry_seconds=86400)
