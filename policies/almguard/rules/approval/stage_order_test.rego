package almguard.rules.approval.stage_order_test

import rego.v1

import data.almguard.rules.approval.stage_order

_snapshot(approvals, deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model_with_version({"risk_tier": "high"}, {"approvals": approvals})],
	"deployments": deployments,
})

_deployment(environment, traffic) := data.almguard.test.builder.deployment({
	"environment": environment,
	"traffic_percent": traffic,
	"deployed_at": "2026-10-03T10:00:00Z",
})

_approval(stage, at) := {"stage": stage, "approved_by": "carol@contoso.com", "approved_at": at}

_missing_staging := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' reached 'production' without a 'staging' approval",
}

_out_of_order := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' was approved for 'production' before it was approved for 'staging'",
}

test_staging_then_production_passes if {
	approvals := [_approval("staging", "2026-10-01T09:00:00Z"), _approval("production", "2026-10-02T09:00:00Z")]
	count(stage_order.deny) == 0 with input as _snapshot(approvals, [_deployment("production", 100)])
}

test_staging_and_production_at_the_same_instant_pass if {
	approvals := [_approval("staging", "2026-10-02T09:00:00Z"), _approval("production", "2026-10-02T09:00:00Z")]
	count(stage_order.deny) == 0 with input as _snapshot(approvals, [])
}

test_staging_one_second_after_production_fails if {
	approvals := [_approval("staging", "2026-10-02T09:00:01Z"), _approval("production", "2026-10-02T09:00:00Z")]
	stage_order.deny == {_out_of_order} with input as _snapshot(approvals, [])
}

test_times_compare_across_offsets if {
	# 10:00+02:00 is 08:00Z, before the 09:00Z production approval.
	approvals := [_approval("staging", "2026-10-02T10:00:00+02:00"), _approval("production", "2026-10-02T09:00:00Z")]
	count(stage_order.deny) == 0 with input as _snapshot(approvals, [])
}

test_earliest_production_approval_must_be_preceded if {
	approvals := [
		_approval("production", "2026-10-01T09:00:00Z"),
		_approval("staging", "2026-10-02T09:00:00Z"),
		_approval("production", "2026-10-03T09:00:00Z"),
	]
	stage_order.deny == {_out_of_order} with input as _snapshot(approvals, [])
}

test_an_early_staging_approval_covers_later_ones if {
	approvals := [
		_approval("staging", "2026-09-01T09:00:00Z"),
		_approval("production", "2026-10-01T09:00:00Z"),
		_approval("staging", "2026-10-05T09:00:00Z"),
	]
	count(stage_order.deny) == 0 with input as _snapshot(approvals, [])
}

test_production_approval_without_staging_approval_fails if {
	stage_order.deny == {_missing_staging} with input as _snapshot([_approval("production", "2026-10-02T09:00:00Z")], [])
}

test_production_deployment_without_any_approval_needs_staging if {
	stage_order.deny == {_missing_staging} with input as _snapshot([], [_deployment("production", 100)])
}

test_approved_and_deployed_version_gives_one_finding if {
	approvals := [_approval("production", "2026-10-02T09:00:00Z")]
	stage_order.deny == {_missing_staging} with input as _snapshot(approvals, [_deployment("production", 100)])
}

test_staging_approval_alone_passes if {
	approvals := [_approval("staging", "2026-10-02T09:00:00Z")]
	count(stage_order.deny) == 0 with input as _snapshot(approvals, [_deployment("staging", 100)])
}

test_version_without_approvals_or_deployments_passes if {
	count(stage_order.deny) == 0 with input as _snapshot([], [])
}

test_production_deployment_without_traffic_is_not_checked if {
	count(stage_order.deny) == 0 with input as _snapshot([], [_deployment("production", 0)])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment("production", 100), {"version": "9.9.9"})
	count(stage_order.deny) == 0 with input as _snapshot([], [deployment])
}

test_configured_prerequisites_are_checked if {
	config := {"staging": ["evaluation"], "production": ["evaluation", "staging"]}
	approvals := [
		_approval("staging", "2026-10-01T09:00:00Z"),
		_approval("evaluation", "2026-10-01T10:00:00Z"),
		_approval("production", "2026-10-02T09:00:00Z"),
	]
	stage_order.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' was approved for 'staging' before it was approved for 'evaluation'",
	}} with input as _snapshot(approvals, [])
		with data.almguard.config.approval.required_before as config
}

test_no_prerequisites_configured_passes if {
	count(stage_order.deny) == 0 with input as _snapshot([_approval("production", "2026-10-02T09:00:00Z")], [])
		with data.almguard.config.approval.required_before as {"production": []}
}
