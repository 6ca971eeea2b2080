package almguard.rules.evaluation.required_metrics_test

import rego.v1

import data.almguard.rules.evaluation.required_metrics

_snapshot(model, deployments) := data.almguard.test.builder.snapshot({"models": [model], "deployments": deployments})

_model(evaluations) := _tiered("high", {"evaluations": evaluations})

# Model m of the given tier, with version 1.0.0 of the given fields.
_tiered(tier, version) := data.almguard.test.builder.model_with_version({"risk_tier": tier}, version)

_serving := [_deployment(100)]

_deployment(traffic) := data.almguard.test.builder.deployment({
	"traffic_percent": traffic,
	"deployed_at": "2026-10-03T10:00:00Z",
})

_accuracy(value) := {"metric": "accuracy", "value": value, "evaluated_at": "2026-10-01T10:00:00Z"}

_dated(value, at) := {"metric": "accuracy", "value": value, "evaluated_at": at}

_below := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' has a latest 'accuracy' result that does not meet its threshold",
}

_error_rate := {"high": [{"metric": "error_rate", "threshold": 0.1, "higher_is_better": false}]}

test_result_above_default_threshold_passes if {
	count(required_metrics.deny) == 0 with input as _snapshot(_model([_accuracy(0.95)]), _serving)
}

test_missing_required_metric_fails if {
	required_metrics.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' has no 'accuracy' evaluation, which risk tier 'high' requires",
	}} with input as _snapshot(_model([{"metric": "f1", "value": 0.99}]), _serving)
}

test_result_below_default_threshold_fails if {
	required_metrics.deny == {_below} with input as _snapshot(_model([_accuracy(0.89)]), _serving)
}

test_result_exactly_at_threshold_passes if {
	count(required_metrics.deny) == 0 with input as _snapshot(_model([_accuracy(0.9)]), _serving)
}

test_own_threshold_replaces_default if {
	evaluation := object.union(_accuracy(0.85), {"threshold": 0.8})
	count(required_metrics.deny) == 0 with input as _snapshot(_model([evaluation]), _serving)
}

test_own_stricter_threshold_is_applied if {
	evaluation := object.union(_accuracy(0.92), {"threshold": 0.95})
	required_metrics.deny == {_below} with input as _snapshot(_model([evaluation]), _serving)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_own_threshold_falls_back_to_default if {
	evaluation := object.remove(_accuracy(0.85), ["threshold"])
	required_metrics.deny == {_below} with input as _snapshot(_model([evaluation]), _serving)
}

test_lower_is_better_from_config_passes_below_threshold if {
	evaluations := [{"metric": "error_rate", "value": 0.05}]
	count(required_metrics.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
		with data.almguard.config.evaluation.required_metrics as _error_rate
}

test_lower_is_better_from_config_fails_above_threshold if {
	evaluations := [{"metric": "error_rate", "value": 0.2}]
	required_metrics.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' has a latest 'error_rate' result that does not meet its threshold",
	}} with input as _snapshot(_model(evaluations), _serving)
		with data.almguard.config.evaluation.required_metrics as _error_rate
}

test_lower_is_better_exactly_at_threshold_passes if {
	evaluations := [{"metric": "error_rate", "value": 0.1}]
	count(required_metrics.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
		with data.almguard.config.evaluation.required_metrics as _error_rate
}

test_direction_recorded_on_evaluation_wins_over_config if {
	evaluations := [{"metric": "error_rate", "value": 0.05, "higher_is_better": true}]
	count(required_metrics.deny) == 1 with input as _snapshot(_model(evaluations), _serving)
		with data.almguard.config.evaluation.required_metrics as _error_rate
}

test_own_lower_is_better_with_own_threshold if {
	evaluation := object.union(_accuracy(0.3), {"threshold": 0.5, "higher_is_better": false})
	count(required_metrics.deny) == 0 with input as _snapshot(_model([evaluation]), _serving)
}

test_config_without_direction_means_higher_is_better if {
	config := {"high": [{"metric": "accuracy", "threshold": 0.5}]}
	count(required_metrics.deny) == 0 with input as _snapshot(_model([_accuracy(0.6)]), _serving)
		with data.almguard.config.evaluation.required_metrics as config
	count(required_metrics.deny) == 1 with input as _snapshot(_model([_accuracy(0.4)]), _serving)
		with data.almguard.config.evaluation.required_metrics as config
}

test_latest_dated_result_decides_passing if {
	evaluations := [_dated(0.5, "2026-09-01T00:00:00Z"), _dated(0.95, "2026-09-02T00:00:00Z")]
	count(required_metrics.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
}

test_latest_dated_result_decides_failing if {
	evaluations := [_dated(0.95, "2026-09-01T00:00:00Z"), _dated(0.5, "2026-09-02T00:00:00Z")]
	required_metrics.deny == {_below} with input as _snapshot(_model(evaluations), _serving)
}

test_latest_is_found_across_time_zones if {
	# 10:00+02:00 is 08:00Z, earlier than 09:00Z: the 09:00Z result is the latest.
	evaluations := [_dated(0.5, "2026-09-01T10:00:00+02:00"), _dated(0.95, "2026-09-01T09:00:00Z")]
	count(required_metrics.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
}

test_undated_results_are_ignored_when_a_dated_one_exists if {
	evaluations := [{"metric": "accuracy", "value": 0.1}, _dated(0.95, "2026-09-02T00:00:00Z")]
	count(required_metrics.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
}

test_all_undated_results_must_pass if {
	evaluations := [{"metric": "accuracy", "value": 0.95}, {"metric": "accuracy", "value": 0.5}]
	required_metrics.deny == {_below} with input as _snapshot(_model(evaluations), _serving)
}

test_all_undated_passing_results_pass if {
	evaluations := [{"metric": "accuracy", "value": 0.95}, {"metric": "accuracy", "value": 0.91}]
	count(required_metrics.deny) == 0 with input as _snapshot(_model(evaluations), _serving)
}

test_tie_at_latest_needs_every_result_to_pass if {
	evaluations := [_dated(0.95, "2026-09-02T00:00:00Z"), _dated(0.5, "2026-09-02T00:00:00Z")]
	required_metrics.deny == {_below} with input as _snapshot(_model(evaluations), _serving)
}

test_model_without_tier_is_held_to_high if {
	model := data.almguard.test.builder.model_with_version({}, {"evaluations": [_accuracy(0.85)]})
	required_metrics.deny == {_below} with input as _snapshot(model, _serving)
}

test_missing_metric_of_a_model_without_tier_says_it_is_held_to_high if {
	model := data.almguard.test.builder.model({})
	required_metrics.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' has no 'accuracy' evaluation, which its tier (held to tier high: no risk tier recorded) requires",
	}} with input as _snapshot(model, _serving)
}

test_limited_tier_uses_its_own_threshold if {
	model := _tiered("limited", {"evaluations": [_accuracy(0.85)]})
	count(required_metrics.deny) == 0 with input as _snapshot(model, _serving)
}

test_tier_without_requirements_passes if {
	model := _tiered("minimal", {})
	count(required_metrics.deny) == 0 with input as _snapshot(model, _serving)
		with data.almguard.config.evaluation.required_metrics as {"high": []}
}

test_version_without_evaluations_field_fails if {
	model := _tiered("high", {})
	count(required_metrics.deny) == 1 with input as _snapshot(model, _serving)
}

test_each_missing_and_failing_metric_is_one_finding if {
	config := {"high": [
		{"metric": "accuracy", "threshold": 0.9},
		{"metric": "f1", "threshold": 0.8},
		{"metric": "recall", "threshold": 0.8},
	]}
	evaluations := [_accuracy(0.5), {"metric": "f1", "value": 0.85}]
	required_metrics.deny == {
		_below,
		{
			"resource": {"kind": "model_version", "id": "m@1.0.0"},
			"message": "Version 'm@1.0.0' has no 'recall' evaluation, which risk tier 'high' requires",
		},
	} with input as _snapshot(_model(evaluations), _serving)
		with data.almguard.config.evaluation.required_metrics as config
}

test_two_deployments_of_one_version_give_one_finding if {
	other := object.union(_deployment(50), {"endpoint": "ep2"})
	deployments := [_deployment(50), other]
	required_metrics.deny == {_below} with input as _snapshot(_model([_accuracy(0.5)]), deployments)
}

test_version_without_traffic_is_not_checked if {
	count(required_metrics.deny) == 0 with input as _snapshot(_model([]), [_deployment(0)])
}

test_undeployed_version_is_not_checked if {
	count(required_metrics.deny) == 0 with input as _snapshot(_model([]), [])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment(100), {"version": "9.9.9"})
	count(required_metrics.deny) == 0 with input as _snapshot(_model([]), [deployment])
}
