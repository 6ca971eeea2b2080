package almguard.rules.approval.production_approval_test

import rego.v1

import data.almguard.rules.approval.production_approval as rule

_snapshot(approvals, deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model_with_version({"risk_tier": "high"}, {"approvals": approvals})],
	"deployments": deployments,
})

_deployment(environment, traffic) := data.almguard.test.builder.deployment({
	"environment": environment,
	"traffic_percent": traffic,
	"deployed_at": "2026-10-03T10:00:00Z",
})

_approval(stage) := {
	"stage": stage,
	"approved_by": "carol@contoso.com",
	"approved_at": "2026-10-02T09:00:00Z",
}

_unapproved := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' serves production traffic without a production approval",
}

test_production_approval_passes if {
	count(rule.deny) == 0 with input as _snapshot([_approval("production")], [_deployment("production", 100)])
}

test_missing_production_approval_fails if {
	rule.deny == {_unapproved} with input as _snapshot([], [_deployment("production", 100)])
}

test_staging_approval_does_not_count if {
	rule.deny == {_unapproved} with input as _snapshot([_approval("staging")], [_deployment("production", 100)])
}

test_absent_approvals_field_fails if {
	snapshot := data.almguard.test.builder.snapshot({
		"models": [data.almguard.test.builder.model({})],
		"deployments": [_deployment("production", 100)],
	})
	rule.deny == {_unapproved} with input as snapshot
}

test_late_approval_is_left_to_approved_before_deployment if {
	late := object.union(_approval("production"), {"approved_at": "2026-11-01T00:00:00Z"})
	count(rule.deny) == 0 with input as _snapshot([late], [_deployment("production", 100)])
}

test_several_production_endpoints_give_one_finding if {
	other := object.union(_deployment("production", 50), {"endpoint": "ep2"})
	rule.deny == {_unapproved} with input as _snapshot([], [_deployment("production", 50), other])
}

test_staging_deployment_is_not_checked if {
	count(rule.deny) == 0 with input as _snapshot([], [_deployment("staging", 100)])
}

test_production_deployment_without_traffic_is_not_checked if {
	count(rule.deny) == 0 with input as _snapshot([], [_deployment("production", 0)])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment("production", 100), {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot([], [deployment])
}

test_an_approval_by_nobody_does_not_count if {
	every approver in ["", "  ", "\u200b", "\u3164"] {
		approval := object.union(_approval("production"), {"approved_by": approver})
		rule.deny == {_unapproved} with input as _snapshot([approval], [_deployment("production", 100)])
	}
}
