package almguard.rules.evaluation.evaluated_before_deployment_test

import rego.v1

import data.almguard.rules.evaluation.evaluated_before_deployment as rule

_snapshot(evaluations, deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model_with_version({"risk_tier": "high"}, {"evaluations": evaluations})],
	"deployments": deployments,
})

_deployment := data.almguard.test.builder.deployment({"deployed_at": "2026-10-03T10:00:00Z"})

_at(at) := {"metric": "accuracy", "value": 0.95, "evaluated_at": at}

_late := {
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": "Deployment 'ep/m@1.0.0' has no evaluation of 'accuracy' dated at or before its deployed_at",
}

test_evaluation_before_deployment_passes if {
	count(rule.deny) == 0 with input as _snapshot([_at("2026-10-01T10:00:00Z")], [_deployment])
}

test_evaluation_at_the_same_instant_passes if {
	count(rule.deny) == 0 with input as _snapshot([_at("2026-10-03T10:00:00Z")], [_deployment])
}

test_evaluation_one_second_after_deployment_fails if {
	rule.deny == {_late} with input as _snapshot([_at("2026-10-03T10:00:01Z")], [_deployment])
}

test_times_compare_across_offsets if {
	# 11:00+02:00 is 09:00Z, before the 10:00Z deployment; 12:00:01+02:00 is after it.
	count(rule.deny) == 0 with input as _snapshot([_at("2026-10-03T11:00:00+02:00")], [_deployment])
	rule.deny == {_late} with input as _snapshot([_at("2026-10-03T12:00:01+02:00")], [_deployment])
}

test_undated_evaluation_cannot_prove_the_order if {
	evaluations := [{"metric": "accuracy", "value": 0.95}]
	rule.deny == {_late} with input as _snapshot(evaluations, [_deployment])
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_evaluated_at_cannot_prove_the_order if {
	evaluations := [{"metric": "accuracy", "value": 0.95}]
	rule.deny == {_late} with input as _snapshot(evaluations, [_deployment])
}

test_reevaluation_after_deployment_is_fine if {
	evaluations := [_at("2026-10-01T10:00:00Z"), _at("2026-11-01T10:00:00Z")]
	count(rule.deny) == 0 with input as _snapshot(evaluations, [_deployment])
}

test_metric_never_evaluated_is_left_to_required_metrics if {
	count(rule.deny) == 0 with input as _snapshot([], [_deployment])
}

test_deployment_without_deployed_at_is_skipped if {
	deployment := object.remove(_deployment, ["deployed_at"])
	count(rule.deny) == 0 with input as _snapshot([_at("2026-11-01T10:00:00Z")], [deployment])
}

test_deployment_without_traffic_is_skipped if {
	deployment := object.union(_deployment, {"traffic_percent": 0})
	count(rule.deny) == 0 with input as _snapshot([_at("2026-11-01T10:00:00Z")], [deployment])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment, {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot([_at("2026-11-01T10:00:00Z")], [deployment])
}

test_late_metrics_are_named_in_one_finding if {
	config := {"high": [
		{"metric": "recall", "threshold": 0.5},
		{"metric": "accuracy", "threshold": 0.5},
		{"metric": "f1", "threshold": 0.5},
	]}
	evaluations := [
		_at("2026-11-01T10:00:00Z"),
		{"metric": "recall", "value": 0.9},
		{"metric": "f1", "value": 0.9, "evaluated_at": "2026-10-01T10:00:00Z"},
	]
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' has no evaluation of 'accuracy', 'recall' dated at or before its deployed_at",
	}} with input as _snapshot(evaluations, [_deployment])
		with data.almguard.config.evaluation.required_metrics as config
}

test_each_late_deployment_is_a_finding if {
	early := object.union(_deployment, {"endpoint": "ep2", "deployed_at": "2026-09-01T10:00:00Z"})
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep2/m@1.0.0"},
		"message": "Deployment 'ep2/m@1.0.0' has no evaluation of 'accuracy' dated at or before its deployed_at",
	}} with input as _snapshot([_at("2026-10-01T10:00:00Z")], [_deployment, early])
}
