package almguard.rules.retention.artifacts_kept_past_retention_test

import rego.v1

import data.almguard.rules.retention.artifacts_kept_past_retention as rule

# captured_at 2026-11-20T08:00:00Z is exactly 90 days after 2026-08-22T08:00:00Z.
_snapshot(tier, retirement) := data.almguard.test.builder.snapshot_with_version(
	{"risk_tier": tier},
	{"stage": "retired", "retirement": retirement},
)

_retirement(retired_at, until) := {
	"retired_at": retired_at,
	"reason": "superseded",
	"record_uri": "https://records/m-1",
	"retention_until": until,
}

test_artifacts_kept_exactly_to_grace_end_pass if {
	count(rule.deny) == 0 with input as _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2026-08-22T08:00:00Z"))
}

test_artifacts_kept_one_second_past_grace_end_fail if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Artifacts of version 'm@1.0.0' are still kept more than 90 days after the end of their retention period",
	}} with input as _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2026-08-22T07:59:59Z"))
}

test_purged_artifacts_pass if {
	retirement := object.union(
		_retirement("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
		{"artifacts_deleted_at": "2025-01-02T00:00:00Z"},
	)
	count(rule.deny) == 0 with input as _snapshot("minimal", retirement)
}

test_retention_period_not_ended_passes if {
	count(rule.deny) == 0 with input as _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z"))
}

test_short_retention_until_does_not_ask_to_purge_before_minimum if {
	# retention_until + 90 days has passed, but retired_at + 365 days (the minimum) has not:
	# keeping the artifacts is right; the short retention_until is the period rule's finding.
	count(rule.deny) == 0 with input as _snapshot("minimal", _retirement("2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"))
}

test_short_retention_until_is_measured_from_minimum_end if {
	# retired 2024-01-01: minimum end 2024-12-31, + 90 days = 2025-03-31; now is later.
	count(rule.deny) == 1 with input as _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"))
}

test_missing_retention_until_is_left_to_the_period_rule if {
	retirement := object.remove(_retirement("2016-01-01T00:00:00Z", ""), ["retention_until"])
	count(rule.deny) == 0 with input as _snapshot("minimal", retirement)
}

test_model_without_tier_is_judged_as_high if {
	# high: minimum 3650 days after 2024-01-01 has not passed, so nothing is overdue.
	doc := _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"))
	model := object.remove(doc.models[0], ["risk_tier"])
	count(rule.deny) == 0 with input as object.union(doc, {"models": [model]})
}

test_artifact_grace_days_override if {
	count(rule.deny) == 0 with input as _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2026-08-22T07:59:59Z"))
		with data.almguard.config.retention.artifact_grace_days as {"high": 90, "limited": 90, "minimal": 91}
}

test_min_retention_days_override_moves_the_end if {
	count(rule.deny) == 0 with input as _snapshot("minimal", _retirement("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"))
		with data.almguard.config.retention.min_retention_days as {"high": 3650, "limited": 1825, "minimal": 3650}
}
