package almguard.rules.retention.retention_period_test

import rego.v1

import data.almguard.rules.retention.retention_period as rule

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

test_retention_of_exactly_minimum_passes if {
	# minimal: 365 days; 2025-01-01 + 365 days = 2026-01-01.
	count(rule.deny) == 0 with input as _snapshot("minimal", _retirement("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
}

test_retention_one_second_short_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Retirement record of version 'm@1.0.0' sets a retention period shorter than the 365 days required for risk tier 'minimal'",
	}} with input as _snapshot("minimal", _retirement("2025-01-01T00:00:00Z", "2025-12-31T23:59:59Z"))
}

test_high_tier_needs_ten_years if {
	# 2016-01-01 + 3650 days = 2025-12-29 (leap days included).
	count(rule.deny) == 0 with input as _snapshot("high", _retirement("2016-01-01T00:00:00Z", "2025-12-29T00:00:00Z"))
	count(rule.deny) == 1 with input as _snapshot("high", _retirement("2016-01-01T00:00:00Z", "2025-12-28T23:59:59Z"))
}

test_limited_tier_minimum_is_read if {
	count(rule.deny) == 1 with input as _snapshot("limited", _retirement("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
}

test_model_without_tier_is_judged_as_high if {
	input_doc := _snapshot("high", _retirement("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
	model := object.remove(input_doc.models[0], ["risk_tier"])
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Retirement record of version 'm@1.0.0' sets a retention period shorter than the 3650 days required for its tier (held to tier high: no risk tier recorded)",
	}} with input as object.union(input_doc, {"models": [model]})
}

test_missing_retention_until_fails if {
	retirement := object.remove(_retirement("2025-01-01T00:00:00Z", ""), ["retention_until"])
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Retirement record of version 'm@1.0.0' sets no retention_until",
	}} with input as _snapshot("minimal", retirement)
}

test_missing_retired_at_is_left_to_the_record_rule if {
	retirement := object.remove(_retirement("", "2025-01-01T00:00:00Z"), ["retired_at"])
	count(rule.deny) == 0 with input as _snapshot("minimal", retirement)
}

test_version_without_retirement_record_is_not_judged if {
	count(rule.deny) == 0 with input as data.almguard.test.builder.snapshot_with_version({}, {"stage": "retired"})
}

test_min_retention_days_override if {
	count(rule.deny) == 0 with input as _snapshot("limited", _retirement("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
		with data.almguard.config.retention.min_retention_days as {"high": 3650, "limited": 365, "minimal": 365}
}
