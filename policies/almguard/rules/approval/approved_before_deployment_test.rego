package almguard.rules.approval.approved_before_deployment_test

import rego.v1

import data.almguard.rules.approval.approved_before_deployment as rule

_snapshot(approvals, deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model_with_version({"risk_tier": "high"}, {"approvals": approvals})],
	"deployments": deployments,
})

_deployment := data.almguard.test.builder.deployment({"deployed_at": "2026-10-03T10:00:00Z"})

# The deployment, and one production approval of its version at the given time.
_approve(at) := _snapshot([_approved_at(at)], [_deployment])

_approved_at(at) := {"stage": "production", "approved_by": "carol@contoso.com", "approved_at": at}

_late(approved_at) := {
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": sprintf(
		"Deployment 'ep/m@1.0.0' went live at 2026-10-03T10:00:00Z (deployed_at), before its earliest production approval at %s",
		[approved_at],
	),
}

_undated := {
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": "Deployment 'ep/m@1.0.0' records no deployed_at, so its production approval cannot be shown to precede it",
}

test_approval_before_deployment_passes if {
	count(rule.deny) == 0 with input as _approve("2026-10-02T09:00:00Z")
}

test_approval_at_the_same_instant_passes if {
	count(rule.deny) == 0 with input as _approve("2026-10-03T10:00:00Z")
}

test_approval_one_second_after_deployment_fails if {
	rule.deny == {_late("2026-10-03T10:00:01Z")} with input as _approve("2026-10-03T10:00:01Z")
}

test_times_compare_across_offsets if {
	# 11:00+01:00 is 10:00Z (same instant, passes); 11:00:01+01:00 is one second after.
	count(rule.deny) == 0 with input as _approve("2026-10-03T11:00:00+01:00")
	rule.deny == {_late("2026-10-03T11:00:01+01:00")} with input as _approve("2026-10-03T11:00:01+01:00")
}

test_one_early_approval_among_late_ones_passes if {
	approvals := [_approved_at("2026-11-01T00:00:00Z"), _approved_at("2026-10-01T00:00:00Z")]
	count(rule.deny) == 0 with input as _snapshot(approvals, [_deployment])
}

test_staging_approval_before_deployment_does_not_count if {
	approvals := [
		{"stage": "staging", "approved_by": "carol@contoso.com", "approved_at": "2026-10-01T00:00:00Z"},
		_approved_at("2026-11-01T00:00:00Z"),
	]
	rule.deny == {_late("2026-11-01T00:00:00Z")} with input as _snapshot(approvals, [_deployment])
}

test_message_names_the_earliest_late_approval if {
	approvals := [
		_approved_at("2026-11-02T00:00:00Z"),
		_approved_at("2026-11-01T01:00:00+01:00"),
		_approved_at("2026-11-01T00:00:00Z"),
	]
	rule.deny == {_late("2026-11-01T00:00:00Z")} with input as _snapshot(approvals, [_deployment])
}

test_missing_deployed_at_cannot_prove_the_order if {
	deployment := object.remove(_deployment, ["deployed_at"])
	rule.deny == {_undated} with input as _snapshot([_approved_at("2026-10-02T09:00:00Z")], [deployment])
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_deployed_at_cannot_prove_the_order if {
	deployment := object.remove(_deployment, ["deployed_at"])
	rule.deny == {_undated} with input as _snapshot([_approved_at("2026-10-02T09:00:00Z")], [deployment])
}

test_missing_approval_is_left_to_production_approval if {
	count(rule.deny) == 0 with input as _snapshot([], [_deployment])
	count(rule.deny) == 0 with input as _snapshot([], [object.remove(_deployment, ["deployed_at"])])
}

test_each_production_deployment_is_checked if {
	early := object.union(_deployment, {"endpoint": "ep-old", "deployed_at": "2026-09-01T00:00:00Z"})
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep-old/m@1.0.0"},
		"message": "Deployment 'ep-old/m@1.0.0' went live at 2026-09-01T00:00:00Z (deployed_at), before its earliest production approval at 2026-10-02T09:00:00Z",
	}} with input as _snapshot([_approved_at("2026-10-02T09:00:00Z")], [_deployment, early])
}

test_staging_deployment_is_not_checked if {
	deployment := object.union(_deployment, {"environment": "staging"})
	count(rule.deny) == 0 with input as _snapshot([_approved_at("2026-11-01T00:00:00Z")], [deployment])
}

test_deployment_without_traffic_is_not_checked if {
	deployment := object.union(_deployment, {"traffic_percent": 0})
	count(rule.deny) == 0 with input as _snapshot([_approved_at("2026-11-01T00:00:00Z")], [deployment])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment, {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot([_approved_at("2026-11-01T00:00:00Z")], [deployment])
}
