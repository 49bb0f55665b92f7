"""Each rule of the contract broken alone, in a provider built for it, is caught by the
check named for that rule; the same provider unbroken passes every check."""

from __future__ import annotations

import pytest

from tests.conformance.conftest import LMS_CLIENT, PROVIDER_CLIENT
from tests.conformance.provider_app import RULES, create_provider_app

pytestmark = pytest.mark.live


def test_the_unbroken_provider_passes_every_check(serve, run_kit) -> None:
    url = serve(create_provider_app(PROVIDER_CLIENT, LMS_CLIENT))
    run = run_kit(url)
    assert run.exit_code == 0, run.output
    assert run.named("FAIL") == []
    # Without a control API only the gate's refusals (and nothing else) are skipped.
    assert sorted(run.named("SKIP")) == [
        "onboarding.refusal_onboarding_expired",
        "onboarding.refusal_onboarding_failed",
        "onboarding.refusal_onboarding_missing",
        "onboarding.refusal_onboarding_pending",
    ]
    for name in run.named("SKIP"):
        assert "control API" in run.by_name()[name]["reason"]
    assert len(run.named("PASS")) >= 20
    assert "the provider must get tokens there as OAuth client kit-lms-client" in run.output


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_broken_rule_is_caught_by_its_check(serve, run_kit, rule: str) -> None:
    check = RULES[rule]
    url = serve(create_provider_app(PROVIDER_CLIENT, LMS_CLIENT, broken={rule}))
    run = run_kit(url, "--only", check)
    assert run.exit_code == 1, run.output
    assert run.outcome(check) == "FAIL", run.output
    assert f"FAIL {check}: needs " in run.output
    failed = run.by_name()[check]
    assert failed["reason"].startswith("needs ")
    # What was sent and what came back are in the report.
    assert failed["exchanges"], failed
