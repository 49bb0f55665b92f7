"""``benchmarks/capacity.py``'s rules in plain Python: the plan of each learner's
requests, the stop rule and the ramp. Its figures are printed by the benchmark, never
asserted here."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import capacity
from lifecycle_report import callback_tally


def test_a_full_window_is_a_minute_with_edx_proctorings_ping_interval() -> None:
    plan = capacity.Plan(600)
    assert (plan.learners, plan.window, plan.ping_interval) == (600, 60.0, 60.0)


def test_a_shorter_window_scales_learners_and_pings_by_the_same_factor() -> None:
    plan = capacity.Plan(1000, window=15)
    assert plan.learners == 250
    assert plan.ping_interval == 15.0
    # The same starts per second as 1,000 learners over a minute.
    assert plan.learners / plan.window == 1000 / 60


def test_starts_are_spread_evenly_over_the_window() -> None:
    plan = capacity.Plan(4, window=60)
    assert [plan.start_at(n) for n in range(4)] == [7.5, 22.5, 37.5, 52.5]


def test_a_learner_pings_half_an_interval_after_starting_then_submits_a_window_later() -> None:
    plan = capacity.Plan(60, window=60)  # learner 0 starts at 0.5 s
    start = plan.start_at(0)
    assert plan.after(0, "start", start) == ("ping", start + 30)
    # The next ping would come 60 s later, past the learner's window: it submits instead.
    assert plan.after(0, "ping", start + 30) == ("finish", start + 60)


def test_pings_go_every_interval_while_the_window_lasts() -> None:
    plan = capacity.Plan(60, window=60)
    start = plan.start_at(0)
    # A ping late for its time (the server was slow) is followed by the next one an
    # interval later if the learner's window has not ended by then.
    assert plan.after(0, "ping", start - 10) == ("ping", start + 50)


def step(**latencies: list[float]) -> capacity.Step:
    return capacity.Step("mockprock", capacity.Plan(100), latencies=dict(latencies))


def test_a_step_under_a_second_with_no_errors_carried_the_load() -> None:
    assert capacity.full_because(step(register=[0.1] * 100, **{"PATCH started": [0.9]})) == []


def test_an_lms_facing_p99_past_a_second_makes_the_step_full() -> None:
    slow = step(register=[0.1] * 98 + [1.5, 1.6])
    assert capacity.full_because(slow) == ["register p99 1500 ms"]


def test_a_slow_desktop_call_alone_does_not_make_it_full() -> None:
    assert capacity.full_because(step(**{"desktop ping": [2.0] * 10})) == []


def test_requests_sent_behind_schedule_make_the_step_full() -> None:
    # They waited in the client for a thread, where no latency measures them.
    behind = step(register=[0.1] * 10)
    behind.lags = [0.01] * 98 + [2.5, 3.0]
    assert capacity.full_because(behind) == ["behind schedule, lag p99 2500 ms"]


def test_an_error_makes_the_step_full() -> None:
    failed = step(register=[0.1])
    failed.errors = ["register: HTTP 500 boom"]
    assert capacity.full_because(failed) == ["1 errors"]


def test_a_lost_or_doubled_callback_makes_the_step_full() -> None:
    checked = step(register=[0.1])
    triggers = {"a": 1.0, "b": 1.0, "c": 1.0}
    arrivals = [("ready", "a", 1.1), ("ready", "a", 1.2), ("ready", "b", 1.3)]
    checked.callbacks = {"ready": callback_tally("ready", triggers, arrivals)}
    assert capacity.full_because(checked) == ["1 ready lost", "1 ready doubled"]


def test_the_ramp_doubles_while_every_step_passes() -> None:
    assert capacity.next_size({}, 250, 32000) == 250
    assert capacity.next_size({250: True}, 250, 32000) == 500
    assert capacity.next_size({250: True, 500: True}, 250, 32000) == 1000


def test_the_ramp_stops_at_its_maximum() -> None:
    assert capacity.next_size({16000: True}, 250, 20000) is None


def test_the_ramp_bisects_after_the_first_full_step_until_close_enough() -> None:
    tried = {250: True, 500: True, 1000: True, 2000: False}
    assert capacity.next_size(tried, 250, 32000) == 1500
    tried[1500] = True
    assert capacity.next_size(tried, 250, 32000) is None  # 2000 - 1500 within 25 % of 2000
    assert capacity.capacity(tried) == 1500


def test_the_ramp_bisects_below_the_first_step_when_it_is_already_full() -> None:
    assert capacity.next_size({1000: False}, 1000, 32000) == 500
    assert capacity.capacity({1000: False}) == 0


def test_capacity_ignores_a_pass_above_a_failure() -> None:
    # Noise: 2000 passed after 1000 failed; the answer is what passed below every failure.
    assert capacity.capacity({500: True, 1000: False, 2000: True}) == 500
