package almguard.rules.evaluation.recorded_thresholds_test

import rego.v1

import data.almguard.rules.evaluation.recorded_thresholds as rule

_snapshot(model, deployments) := data.almguard.test.builder.snapshot({"models": [model], "deployments": deployments})

_model(evaluations) := data.almguard.test.builder.model_with_version(
	{"risk_tier": "high"},
	{"evaluations": evaluations},
)

_serving := [_deployment(100)]

_deployment(traffic) := data.almguard.test.builder.deployment({
	"traffic_percent": traffic,
	"deployed_at": "2026-10-03T10:00:00Z",
})

_auc(value, threshold, at) := {"metric": "auc", "value": value, "threshold": threshold, "evaluated_at": at}

_day1 := "2026-10-01T10:00:00Z"

_day2 := "2026-10-02T10:00:00Z"

_failed_auc := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' fails its recorded 'auc' gate: latest result 0.82 below threshold 0.85",
}

test_result_meeting_its_own_threshold_passes if {
	count(rule.deny) == 0 with input as _snapshot(_model([_auc(0.9, 0.85, _day1)]), _serving)
}

test_result_at_its_own_threshold_passes if {
	count(rule.deny) == 0 with input as _snapshot(_model([_auc(0.85, 0.85, _day1)]), _serving)
}

test_result_below_its_own_threshold_fails if {
	rule.deny == {_failed_auc} with input as _snapshot(_model([_auc(0.82, 0.85, _day1)]), _serving)
}

test_lower_is_better_result_above_its_threshold_fails if {
	evaluation := {"metric": "groundedness_defects", "value": 0.07, "threshold": 0.05, "higher_is_better": false}
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' fails its recorded 'groundedness_defects' gate: latest result 0.07 above threshold 0.05",
	}} with input as _snapshot(_model([evaluation]), _serving)
}

test_lower_is_better_result_below_its_threshold_passes if {
	evaluation := {"metric": "error_rate", "value": 0.03, "threshold": 0.05, "higher_is_better": false}
	count(rule.deny) == 0 with input as _snapshot(_model([evaluation]), _serving)
}

test_result_without_threshold_sets_no_gate if {
	evaluation := {"metric": "auc", "value": 0.1, "evaluated_at": _day1}
	count(rule.deny) == 0 with input as _snapshot(_model([evaluation]), _serving)
}

test_latest_dated_result_decides_passing if {
	evaluations := [_auc(0.5, 0.85, _day1), _auc(0.9, 0.85, _day2)]
	count(rule.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
}

test_latest_dated_result_decides_failing if {
	evaluations := [_auc(0.9, 0.85, _day1), _auc(0.82, 0.85, _day2)]
	rule.deny == {_failed_auc} with input as _snapshot(_model(evaluations), _serving)
}

test_latest_result_without_threshold_lifts_an_older_gate if {
	evaluations := [_auc(0.5, 0.85, _day1), {"metric": "auc", "value": 0.6, "evaluated_at": _day2}]
	count(rule.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
}

test_undated_results_all_decide_when_none_is_dated if {
	evaluations := [
		{"metric": "auc", "value": 0.9, "threshold": 0.85},
		{"metric": "auc", "value": 0.82, "threshold": 0.85},
	]
	rule.deny == {_failed_auc} with input as _snapshot(_model(evaluations), _serving)
}

test_tie_names_every_failing_result if {
	evaluations := [_auc(0.82, 0.85, _day1), _auc(0.8, 0.85, _day1), _auc(0.9, 0.85, _day1)]
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' fails its recorded 'auc' gate: latest result 0.8 below threshold 0.85; 0.82 below threshold 0.85",
	}} with input as _snapshot(_model(evaluations), _serving)
}

test_required_metric_is_left_to_the_required_metrics_rule if {
	evaluation := {"metric": "accuracy", "value": 0.5, "threshold": 0.9, "evaluated_at": _day1}
	count(rule.deny) == 0 with input as _snapshot(_model([evaluation]), _serving)
}

test_metric_not_required_at_the_models_tier_is_judged if {
	# accuracy is required at every tier by default: with a config requiring nothing of
	# minimal models, a failed recorded accuracy gate is this rule's.
	evaluations := [{"metric": "accuracy", "value": 0.5, "threshold": 0.9}]
	model := data.almguard.test.builder.model_with_version({"risk_tier": "minimal"}, {"evaluations": evaluations})
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' fails its recorded 'accuracy' gate: latest result 0.5 below threshold 0.9",
	}} with input as _snapshot(model, _serving)
		with data.almguard.config.evaluation.required_metrics as {"high": [{"metric": "accuracy", "threshold": 0.9}]}
}

test_numbers_that_print_differently_on_the_engines_are_left_out if {
	evaluation := {"metric": "latency_ms", "value": 2500000, "threshold": 2000000, "higher_is_better": false}
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' fails its recorded 'latency_ms' gate: latest result above its threshold",
	}} with input as _snapshot(_model([evaluation]), _serving)
}

test_zero_prints_as_a_number if {
	evaluation := {"metric": "recall", "value": 0, "threshold": 0.5}
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' fails its recorded 'recall' gate: latest result 0 below threshold 0.5",
	}} with input as _snapshot(_model([evaluation]), _serving)
}

test_each_failing_metric_is_one_finding if {
	evaluations := [
		_auc(0.82, 0.85, _day1),
		{"metric": "f1", "value": 0.6, "threshold": 0.7},
		{"metric": "recall", "value": 0.9, "threshold": 0.7},
	]
	count(rule.deny) == 2 with input as _snapshot(_model(evaluations), _serving)
}

test_two_deployments_of_one_version_give_one_finding if {
	other := object.union(_deployment(50), {"endpoint": "ep2"})
	rule.deny == {_failed_auc} with input as _snapshot(_model([_auc(0.82, 0.85, _day1)]), [_deployment(50), other])
}

test_version_without_traffic_is_not_checked if {
	count(rule.deny) == 0 with input as _snapshot(_model([_auc(0.82, 0.85, _day1)]), [_deployment(0)])
}

test_undeployed_version_is_not_checked if {
	count(rule.deny) == 0 with input as _snapshot(_model([_auc(0.82, 0.85, _day1)]), [])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment(100), {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot(_model([_auc(0.82, 0.85, _day1)]), [deployment])
}
