package almguard.rules.registry.records_after_creation_test

import rego.v1

import data.almguard.rules.registry.records_after_creation as rule

_created := "2026-05-20T10:00:00Z"

_before := "2026-05-19T09:00:00Z"

_after := "2026-05-21T09:00:00Z"

_snapshot(version, deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model_with_version(
		{"risk_tier": "high"},
		object.union({"created_at": _created}, version),
	)],
	"deployments": deployments,
})

_records(at) := {
	"approvals": [{"stage": "production", "approved_by": "carol@contoso.com", "approved_at": at}],
	"evaluations": [{"metric": "accuracy", "value": 0.95, "evaluated_at": at}],
	"safety_evaluations": [{"suite": "content-harms", "passed": true, "evaluated_at": at}],
	"bias_assessments": [{"method": "disparate-impact", "passed": true, "evaluated_at": at}],
	"retirement": {"retired_at": at},
}

_deployment(at, rollout) := data.almguard.test.builder.deployment({"deployed_at": at, "rollout": rollout})

# Every kind of record, and a deployment with one rollout step, all dated at the given time.
_all_at(at) := _snapshot(_records(at), [_deployment(at, [{"traffic_percent": 10, "at": at}])])

_version_finding(records) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf(
		"Version 'm@1.0.0' has records dated before it was created at 2026-05-20T10:00:00Z: %s",
		[records],
	),
}

test_records_after_creation_pass if {
	count(rule.deny) == 0 with input as _all_at(_after)
}

test_records_at_the_same_instant_pass if {
	count(rule.deny) == 0 with input as _all_at(_created)
}

test_every_kind_of_early_record_is_named_with_both_dates if {
	rule.deny == {_version_finding(concat("; ", [
		"'accuracy' evaluation at 2026-05-19T09:00:00Z",
		"'production' approval at 2026-05-19T09:00:00Z",
		"bias assessment 'disparate-impact' at 2026-05-19T09:00:00Z",
		"retirement at 2026-05-19T09:00:00Z",
		"safety evaluation 'content-harms' at 2026-05-19T09:00:00Z",
	]))} with input as _snapshot(_records(_before), [])
}

test_one_second_before_creation_fails if {
	approval := {"stage": "staging", "approved_by": "carol@contoso.com", "approved_at": "2026-05-20T09:59:59Z"}
	finding := _version_finding("'staging' approval at 2026-05-20T09:59:59Z")
	rule.deny == {finding} with input as _snapshot({"approvals": [approval]}, [])
}

test_times_compare_across_offsets if {
	# 11:30+02:00 is 09:30Z, before the 10:00Z creation; 12:30+02:00 is 10:30Z, after it.
	early := {"bias_assessments": [{"method": "dir", "passed": true, "evaluated_at": "2026-05-20T11:30:00+02:00"}]}
	finding := _version_finding("bias assessment 'dir' at 2026-05-20T11:30:00+02:00")
	rule.deny == {finding} with input as _snapshot(early, [])
	late := {"bias_assessments": [{"method": "dir", "passed": true, "evaluated_at": "2026-05-20T12:30:00+02:00"}]}
	count(rule.deny) == 0 with input as _snapshot(late, [])
}

test_only_the_early_records_are_named if {
	version := {"evaluations": [
		{"metric": "accuracy", "value": 0.95, "evaluated_at": _after},
		{"metric": "auc", "value": 0.95, "evaluated_at": _before},
	]}
	finding := _version_finding("'auc' evaluation at 2026-05-19T09:00:00Z")
	rule.deny == {finding} with input as _snapshot(version, [])
}

test_deployment_and_rollout_before_creation_fail if {
	deployment := _deployment(_before, [{"traffic_percent": 10, "at": _before}, {"traffic_percent": 100, "at": _after}])
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' is dated before version 'm@1.0.0' was created at 2026-05-20T10:00:00Z: deployed_at 2026-05-19T09:00:00Z; rollout step at 2026-05-19T09:00:00Z",
	}} with input as _snapshot({}, [deployment])
}

test_rollout_step_alone_before_creation_fails if {
	deployment := _deployment(_after, [{"traffic_percent": 10, "at": _before}])
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' is dated before version 'm@1.0.0' was created at 2026-05-20T10:00:00Z: rollout step at 2026-05-19T09:00:00Z",
	}} with input as _snapshot({}, [deployment])
}

test_deployment_without_traffic_is_still_a_record if {
	deployment := object.union(_deployment(_before, []), {"traffic_percent": 0})
	count(rule.deny) == 1 with input as _snapshot({}, [deployment])
}

test_version_without_created_at_is_not_judged if {
	snapshot := data.almguard.test.builder.snapshot({
		"models": [data.almguard.test.builder.model_with_version({}, _records(_before))],
		"deployments": [_deployment(_before, [])],
	})
	count(rule.deny) == 0 with input as snapshot
}

test_undated_records_are_not_judged if {
	version := {
		"evaluations": [{"metric": "accuracy", "value": 0.95}],
		"safety_evaluations": [{"suite": "content-harms", "passed": true}],
	}
	deployment := object.remove(_deployment(_after, []), ["deployed_at"])
	count(rule.deny) == 0 with input as _snapshot(version, [deployment])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment(_before, []), {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot({}, [deployment])
}
