"""Policy rules on their own: each rule passing and failing, which rule wins, the decision's shape,
and every malformed document refused as a `validation_error` naming the exact place."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.errors import ZentraError
from backend.policy.rules import (
    DEFAULT_RULES,
    IntentFacts,
    Screening,
    Velocity,
    evaluate,
    parse_rules,
)

QUIET = Velocity(count=0, amount_minor=0)
DOCUMENT = {
    "amount_limits": [{"kind": "payment", "currency": "USD", "max_minor": 100_000_000}],
    "velocity": {"window_seconds": 3600, "max_count": 50, "max_minor": {"USD": 500_000_000}},
    "review_threshold": {"USD": 1_000_000, "*": 1_000_000},
    "dual_approval_threshold": {"USD": 5_000_000},
    "blocked_counterparties": ["Evil Corp"],
    "corridors": ["US-US", "US-GB"],
}


def facts(amount: int = 1_000, currency: str = "USD", kind: str = "payment", counterparty: str = "Merchant Ltd", corridor: str = "US-GB") -> IntentFacts:
    return IntentFacts(kind=kind, amount_minor=amount, currency=currency, counterparty=counterparty, corridor=corridor)


def decide(rules: dict, velocity: Velocity = QUIET, version: int = 1, **fact):
    return evaluate(parse_rules(rules), version, facts(**fact), velocity)


def check(decision, rule: str) -> list:
    return [c for c in decision.checks if c.rule == rule]


def test_the_documented_example_accepts_an_ordinary_payment_and_shows_every_rule():
    decision = decide(DOCUMENT, version=3)
    assert (decision.outcome, decision.reason, decision.required_approvals, decision.policy_version) == ("accept", None, 0, 3)
    assert [c.rule for c in decision.checks] == ["counterparty_screen", "screening_check", "kyc_check", "corridor_check", "limit_check", "velocity_check", "velocity_check", "review_threshold", "dual_approval"]
    assert {c.result for c in decision.checks} == {"passed"}
    body = decision.to_dict()
    assert body["labels"] == [c["label"] for c in body["checks"]]
    assert "limit_check.passed" in body["labels"]
    assert set(body["checks"][0]) == {"rule", "rule_id", "result", "detail", "label"}
    assert [c["rule_id"] for c in body["checks"]] == ["blocked_counterparties", "screening_lists", "kyc:unregistered", "corridor:US-GB", "amount_limit:payment:USD", "velocity:count", "velocity:amount:USD", "review_threshold:USD", "dual_approval:USD"]


def test_the_defaults_are_version_zero_rules():
    decision = evaluate(DEFAULT_RULES, 0, facts(amount=999_999, corridor="*"), QUIET)
    assert (decision.outcome, decision.policy_version) == ("accept", 0)
    assert DEFAULT_RULES.velocity_window_seconds == 3600
    assert DEFAULT_RULES.to_dict() == {
        "amount_limits": [{"kind": "*", "currency": "*", "max_minor": 1_000_000_000}],
        "velocity": {"window_seconds": 3600, "max_count": 1000, "max_minor": {}},
        "review_threshold": {"*": 1_000_000},
        "dual_approval_threshold": {"*": 10_000_000},
        "blocked_counterparties": [],
        "corridors": [],
    }
    assert evaluate(DEFAULT_RULES, 0, facts(amount=1_000_000), QUIET).outcome == "review"
    assert evaluate(DEFAULT_RULES, 0, facts(amount=1_000_000_001), QUIET).reason == "amount_over_limit"


def test_a_document_round_trips_and_keys_left_out_keep_the_defaults():
    rules = parse_rules(DOCUMENT)
    assert parse_rules(rules.to_dict()) == rules
    partial = parse_rules({"blocked_counterparties": ["Evil Corp"]})
    assert partial.amount_limits == DEFAULT_RULES.amount_limits and partial.review_threshold == DEFAULT_RULES.review_threshold
    assert partial.blocked_counterparties == ("Evil Corp",)
    none = parse_rules({"amount_limits": [], "velocity": None, "review_threshold": {}, "dual_approval_threshold": {}})
    assert none.velocity_window_seconds is None
    assert decide(none.to_dict(), amount=2**62).outcome == "accept"


@pytest.mark.parametrize("name", ["Evil Corp", "evil corp", "  EVIL\tcorp  ", "Evil   Corp"])
def test_a_blocked_counterparty_is_rejected_whatever_its_case_and_spacing(name):
    decision = decide({"blocked_counterparties": ["Evil  Corp "]}, counterparty=name)
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("reject", "counterparty_blocked", 0)
    [screen] = check(decision, "counterparty_screen")
    assert (screen.result, screen.rule_id, screen.label()) == ("failed", "blocked_counterparty:evil corp", "rejected: counterparty_blocked")


@pytest.mark.parametrize(
    ("kyc_status", "outcome", "reason", "result"),
    [
        ("verified", "accept", None, "passed"),
        (None, "accept", None, "passed"),
        ("unverified", "review", "kyc_unverified", "review"),
        ("pending", "review", "kyc_unverified", "review"),
        ("rejected", "reject", "kyc_rejected", "failed"),
    ],
)
def test_the_source_customers_kyc_status_decides_alone_when_nothing_else_applies(kyc_status, outcome, reason, result):
    screening = Screening(kyc_status=kyc_status, source_customer="alice", lists=1)
    decision = evaluate(parse_rules({}), 1, replace(facts(), screening=screening), QUIET)
    assert (decision.outcome, decision.reason) == (outcome, reason)
    [kyc] = check(decision, "kyc_check")
    assert (kyc.result, kyc.rule_id) == (result, f"kyc:{kyc_status or 'unregistered'}")
    assert "alice" in kyc.detail


def test_a_screening_match_sends_to_review_whatever_compliance_decided_and_no_match_passes():
    for decision in ("pending", "cleared"):
        hits = (f"'Jon Smyth' matched 'John Smith' (fuzzy 95, scr_1, {decision})",)
        held = evaluate(parse_rules({}), 1, replace(facts(), screening=Screening(lists=2, hits=hits)), QUIET)
        assert (held.outcome, held.reason, held.required_approvals) == ("review", "screening_hit", 1)
        [hit] = check(held, "screening_check")
        assert (hit.rule_id, hit.label()) == ("screening_hit:1", "review_required: screening_hit")
        assert "John Smith" in hit.detail and decision in hit.detail
    clean = evaluate(parse_rules({}), 1, replace(facts(), screening=Screening(lists=2)), QUIET)
    assert clean.outcome == "accept"
    assert check(clean, "screening_check")[0].detail == "no match on 2 screening list(s)"


def test_a_refusal_outranks_a_screening_match_and_a_match_outranks_the_amount_threshold():
    refused = evaluate(parse_rules({}), 1, replace(facts(), screening=Screening(kyc_status="rejected", hits=("a match",))), QUIET)
    assert (refused.outcome, refused.reason) == ("reject", "kyc_rejected")
    big = evaluate(parse_rules({"review_threshold": {"*": 10}, "dual_approval_threshold": {"*": 10}}), 1, replace(facts(amount=50), screening=Screening(hits=("a match",))), QUIET)
    assert (big.outcome, big.reason, big.required_approvals) == ("review", "screening_hit", 2)


def test_a_name_that_only_contains_a_blocked_one_passes_the_screen():
    assert decide({"blocked_counterparties": ["Evil Corp"]}, counterparty="Evil Corporation").outcome == "accept"


def test_the_corridor_allow_list():
    rules = {"corridors": ["US-US", "US-GB"]}
    assert decide(rules, corridor="US-GB").outcome == "accept"
    for corridor in ("US-FR", "*"):
        decision = decide(rules, corridor=corridor)
        assert (decision.outcome, decision.reason) == ("reject", "corridor_not_allowed"), corridor
    assert check(decide({"corridors": []}, corridor="ZZ-YY"), "corridor_check")[0].rule_id == "corridors:*"


def test_an_amount_over_its_limit_is_rejected_and_at_the_limit_passes():
    rules = {"amount_limits": [{"kind": "payment", "currency": "USD", "max_minor": 10_000}]}
    assert decide(rules, amount=10_000).outcome == "accept"
    over = decide(rules, amount=10_001)
    assert (over.outcome, over.reason) == ("reject", "amount_over_limit")
    assert check(over, "limit_check")[0].detail == "100.01 USD is over the limit of 100.00 USD"


@pytest.mark.parametrize(
    ("kind", "currency", "expected"),
    [
        ("payment", "USD", "amount_limit:payment:USD"),
        ("payout", "USD", "amount_limit:*:USD"),
        ("payment", "EUR", "amount_limit:payment:*"),
        ("payout", "EUR", "amount_limit:*:*"),
    ],
)
def test_the_most_specific_limit_wins(kind, currency, expected):
    rules = {
        "amount_limits": [
            {"kind": "*", "currency": "*", "max_minor": 400},
            {"kind": "payment", "currency": "*", "max_minor": 300},
            {"kind": "*", "currency": "USD", "max_minor": 200},
            {"kind": "payment", "currency": "USD", "max_minor": 100},
        ]
    }
    limit = check(decide(rules, kind=kind, currency=currency, amount=50), "limit_check")[0]
    assert (limit.rule_id, limit.result) == (expected, "passed")


def test_no_matching_limit_passes_and_says_so():
    limit = check(decide({"amount_limits": [{"kind": "payout", "currency": "EUR", "max_minor": 1}]}, amount=5), "limit_check")[0]
    assert (limit.rule_id, limit.result) == ("amount_limit:none", "passed")


def test_velocity_by_count_sends_to_review():
    rules = {"velocity": {"window_seconds": 600, "max_count": 3}}
    assert decide(rules, Velocity(count=2, amount_minor=0)).outcome == "accept"
    decision = decide(rules, Velocity(count=3, amount_minor=0))
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("review", "velocity_exceeded", 1)
    assert check(decision, "velocity_check")[0].label() == "review_required: velocity_exceeded"


def test_velocity_by_amount_uses_the_currency_over_star():
    rules = {"velocity": {"window_seconds": 600, "max_minor": {"USD": 10_000, "*": 1}}}
    assert decide(rules, Velocity(count=9, amount_minor=9_000), amount=1_000).outcome == "accept"
    decision = decide(rules, Velocity(count=9, amount_minor=9_000), amount=1_001)
    assert (decision.outcome, decision.reason) == ("review", "velocity_exceeded")
    assert check(decision, "velocity_check")[0].rule_id == "velocity:amount:USD"
    assert decide(rules, QUIET, currency="EUR", amount=2).reason == "velocity_exceeded"


def test_the_review_threshold_is_inclusive_and_the_currency_beats_star():
    rules = {"review_threshold": {"USD": 5_000, "*": 100}, "dual_approval_threshold": {}}
    assert decide(rules, amount=4_999).outcome == "accept"
    decision = decide(rules, amount=5_000)
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("review", "amount_over_threshold", 1)
    review = check(decision, "review_threshold")[0]
    assert (review.rule_id, review.label()) == ("review_threshold:USD", "review_required: amount_over_threshold")
    assert check(decide(rules, currency="EUR", amount=100), "review_threshold")[0].rule_id == "review_threshold:*"


def test_dual_approval_needs_two_people_at_or_over_its_threshold():
    rules = {"review_threshold": {"*": 1_000}, "dual_approval_threshold": {"*": 5_000}}
    assert decide(rules, amount=4_999).required_approvals == 1
    decision = decide(rules, amount=5_000)
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("review", "amount_over_threshold", 2)


def test_a_dual_threshold_below_the_review_threshold_forces_review():
    decision = decide({"review_threshold": {"*": 10_000}, "dual_approval_threshold": {"USD": 2_000}}, amount=3_000)
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("review", "dual_approval_required", 2)


def test_velocity_with_an_amount_over_the_dual_threshold_needs_two_approvals():
    rules = {"velocity": {"window_seconds": 60, "max_count": 1}, "review_threshold": {}, "dual_approval_threshold": {"*": 100}}
    decision = decide(rules, Velocity(count=1, amount_minor=5), amount=100)
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("review", "velocity_exceeded", 2)


def test_a_hard_rule_rejects_even_when_a_review_rule_also_fired():
    decision = decide({"blocked_counterparties": ["Evil Corp"], "review_threshold": {"*": 1}}, counterparty="evil corp")
    assert (decision.outcome, decision.reason, decision.required_approvals) == ("reject", "counterparty_blocked", 0)
    assert check(decision, "review_threshold")[0].result == "review"


BAD_DOCUMENTS = [
    ([], "rules"),
    ("rules", "rules"),
    ({"review_treshold": {"USD": 1}}, "rules.review_treshold"),
    ({"review_threshold": []}, "rules.review_threshold"),
    ({"review_threshold": {"usd": 100}}, "rules.review_threshold.usd"),
    ({"review_threshold": {"XXY": 100}}, "rules.review_threshold.XXY"),
    ({"review_threshold": {"XAU": 100}}, "rules.review_threshold.XAU"),
    ({"review_threshold": {"USD": 10.5}}, "rules.review_threshold.USD"),
    ({"review_threshold": {"USD": "100"}}, "rules.review_threshold.USD"),
    ({"review_threshold": {"USD": True}}, "rules.review_threshold.USD"),
    ({"review_threshold": {"USD": -1}}, "rules.review_threshold.USD"),
    ({"review_threshold": {"USD": 0}}, "rules.review_threshold.USD"),
    ({"review_threshold": {"USD": 2**63}}, "rules.review_threshold.USD"),
    ({"review_threshold": {"USD": None}}, "rules.review_threshold.USD"),
    ({"review_threshold": None}, "rules.review_threshold"),
    ({"dual_approval_threshold": {"EUR": 1.0}}, "rules.dual_approval_threshold.EUR"),
    ({"dual_approval_threshold": {"\ud800": 1}}, "rules.dual_approval_threshold.?"),
    ({"amount_limits": {}}, "rules.amount_limits"),
    ({"amount_limits": [1]}, "rules.amount_limits[0]"),
    ({"amount_limits": [{"kind": "loan", "currency": "USD", "max_minor": 1}]}, "rules.amount_limits[0].kind"),
    ({"amount_limits": [{"kind": "payment", "currency": "US", "max_minor": 1}]}, "rules.amount_limits[0].currency"),
    ({"amount_limits": [{"kind": "payment", "currency": "USD"}]}, "rules.amount_limits[0].max_minor"),
    ({"amount_limits": [{"kind": "payment", "currency": "USD", "max_minor": 1, "min_minor": 0}]}, "rules.amount_limits[0].min_minor"),
    ({"amount_limits": [{"kind": "payment", "currency": "USD", "max_minor": 1}, {"kind": "payment", "currency": "USD", "max_minor": 2}]}, "rules.amount_limits[1]"),
    ({"amount_limits": [{"max_minor": 1}] * 1001}, "rules.amount_limits"),
    ({"velocity": []}, "rules.velocity"),
    ({"velocity": {"max_count": 5}}, "rules.velocity.window_seconds"),
    ({"velocity": {"window_seconds": 0, "max_count": 5}}, "rules.velocity.window_seconds"),
    ({"velocity": {"window_seconds": 30 * 86400 + 1, "max_count": 5}}, "rules.velocity.window_seconds"),
    ({"velocity": {"window_seconds": True, "max_count": 5}}, "rules.velocity.window_seconds"),
    ({"velocity": {"window_seconds": 60, "max_count": 0}}, "rules.velocity.max_count"),
    ({"velocity": {"window_seconds": 60, "max_count": 1.5}}, "rules.velocity.max_count"),
    ({"velocity": {"window_seconds": 60, "max_minor": {"USD": -5}}}, "rules.velocity.max_minor.USD"),
    ({"velocity": {"window_seconds": 60}}, "rules.velocity"),
    ({"velocity": {"window_seconds": 60, "max_count": 5, "per": "account"}}, "rules.velocity.per"),
    ({"blocked_counterparties": "Evil Corp"}, "rules.blocked_counterparties"),
    ({"blocked_counterparties": ["Evil Corp", 7]}, "rules.blocked_counterparties[1]"),
    ({"blocked_counterparties": ["  "]}, "rules.blocked_counterparties[0]"),
    ({"blocked_counterparties": ["x" * 201]}, "rules.blocked_counterparties[0]"),
    ({"blocked_counterparties": ["Evil\x00Corp"]}, "rules.blocked_counterparties[0]"),
    ({"blocked_counterparties": ["Evil Corp", " evil  CORP"]}, "rules.blocked_counterparties[1]"),
    ({"corridors": ["US-GB", "usa-gb"]}, "rules.corridors[1]"),
    ({"corridors": ["*"]}, "rules.corridors[0]"),
    ({"corridors": ["US-GB", "US-GB"]}, "rules.corridors[1]"),
    ({"corridors": None}, "rules.corridors"),
]


@pytest.mark.parametrize(("document", "param"), BAD_DOCUMENTS)
def test_every_malformed_document_is_a_validation_error_naming_its_place(document, param):
    with pytest.raises(ZentraError) as refused:
        parse_rules(document)
    assert (refused.value.code, refused.value.param) == ("validation_error", param), refused.value.message
    assert refused.value.message
