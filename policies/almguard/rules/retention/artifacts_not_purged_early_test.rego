package almguard.rules.retention.artifacts_not_purged_early_test

import rego.v1

import data.almguard.rules.retention.artifacts_not_purged_early as rule

_snapshot(retirement) := data.almguard.test.builder.snapshot_with_version(
	{"risk_tier": "minimal"},
	{"stage": "retired", "retirement": retirement},
)

_retirement := {
	"retired_at": "2024-01-01T00:00:00Z",
	"reason": "superseded",
	"record_uri": "https://records/m-1",
	"retention_until": "2026-01-01T00:00:00Z",
}

test_purge_exactly_at_retention_end_passes if {
	retirement := object.union(_retirement, {"artifacts_deleted_at": "2026-01-01T00:00:00Z"})
	count(rule.deny) == 0 with input as _snapshot(retirement)
}

test_purge_one_second_early_fails if {
	retirement := object.union(_retirement, {"artifacts_deleted_at": "2025-12-31T23:59:59Z"})
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Artifacts of version 'm@1.0.0' were purged at 2025-12-31T23:59:59Z, before the end of their retention period at 2026-01-01T00:00:00Z",
	}} with input as _snapshot(retirement)
}

test_offset_times_compare_as_instants if {
	# 01:00+01:00 is exactly 00:00Z: not early.
	retirement := object.union(_retirement, {"artifacts_deleted_at": "2026-01-01T01:00:00+01:00"})
	count(rule.deny) == 0 with input as _snapshot(retirement)
}

test_artifacts_not_purged_pass if {
	count(rule.deny) == 0 with input as _snapshot(_retirement)
}

test_purge_without_retention_until_is_left_to_the_period_rule if {
	undated := object.remove(_retirement, ["retention_until"])
	retirement := object.union(undated, {"artifacts_deleted_at": "2024-02-01T00:00:00Z"})
	count(rule.deny) == 0 with input as _snapshot(retirement)
}

test_version_without_retirement_record_is_not_judged if {
	count(rule.deny) == 0 with input as data.almguard.test.builder.snapshot_with_version({}, {"stage": "retired"})
}
