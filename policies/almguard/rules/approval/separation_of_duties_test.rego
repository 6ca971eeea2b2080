package almguard.rules.approval.separation_of_duties_test

import rego.v1

import data.almguard.rules.approval.separation_of_duties

_snapshot(version) := data.almguard.test.builder.snapshot_with_version({"risk_tier": "high"}, version)

_approval(stage, by) := {"stage": stage, "approved_by": by, "approved_at": "2026-10-02T09:00:00Z"}

_self(stage) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf(
		"Version 'm@1.0.0' was approved for '%s' by its own creator 'alice@contoso.com'",
		[stage],
	),
}

test_approval_by_someone_else_passes if {
	version := {"created_by": "alice@contoso.com", "approvals": [_approval("production", "carol@contoso.com")]}
	count(separation_of_duties.deny) == 0 with input as _snapshot(version)
}

test_self_approval_fails if {
	version := {"created_by": "alice@contoso.com", "approvals": [_approval("production", "alice@contoso.com")]}
	separation_of_duties.deny == {_self("production")} with input as _snapshot(version)
}

test_self_approval_is_found_case_insensitively if {
	version := {"created_by": "alice@contoso.com", "approvals": [_approval("staging", "Alice@Contoso.COM")]}
	separation_of_duties.deny == {_self("staging")} with input as _snapshot(version)
}

test_each_self_approved_stage_is_a_finding if {
	version := {"created_by": "alice@contoso.com", "approvals": [
		_approval("staging", "alice@contoso.com"),
		_approval("production", "ALICE@contoso.com"),
		_approval("production", "alice@contoso.com"),
		_approval("production", "carol@contoso.com"),
	]}
	separation_of_duties.deny == {_self("staging"), _self("production")} with input as _snapshot(version)
}

test_version_without_creator_is_not_checked if {
	version := {"approvals": [_approval("production", "alice@contoso.com")]}
	count(separation_of_duties.deny) == 0 with input as _snapshot(version)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_creator_is_not_checked if {
	version := {"approvals": [_approval("production", "alice@contoso.com")]}
	count(separation_of_duties.deny) == 0 with input as _snapshot(version)
}

test_version_without_approvals_passes if {
	count(separation_of_duties.deny) == 0 with input as _snapshot({"created_by": "alice@contoso.com"})
}
