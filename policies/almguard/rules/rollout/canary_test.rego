package almguard.rules.rollout.canary_test

import rego.v1

import data.almguard.rules.rollout.canary

_model(tier) := data.almguard.test.builder.model_with_version({"risk_tier": tier}, {"stage": "production"})

_snapshot(models, deployments) := data.almguard.test.builder.snapshot({"models": models, "deployments": deployments})

_deployment(traffic, rollout) := data.almguard.test.builder.deployment({"traffic_percent": traffic, "rollout": rollout})

_step(percent, at) := {"traffic_percent": percent, "at": at}

# A 5 % canary from 1 Nov 00:00 until the full rollout at `full_at`.
_canary_until(full_at) := [_step(5, "2026-11-01T00:00:00Z"), _step(100, full_at)]

_high(deployments) := _snapshot([_model("high")], deployments)

test_canary_of_exactly_minimum_passes if {
	count(canary.deny) == 0 with input as _high([_deployment(100, _canary_until("2026-11-02T00:00:00Z"))])
}

test_canary_one_second_short_fails if {
	canary.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Production deployment 'ep/m@1.0.0' serves more than 10 % of traffic without a canary step at or below 10 % lasting at least 24 hours in its rollout history",
	}} with input as _high([_deployment(100, _canary_until("2026-11-01T23:59:59Z"))])
}

test_no_rollout_history_fails if {
	deployment := object.remove(_deployment(100, []), ["rollout"])
	count(canary.deny) == 1 with input as _high([deployment])
}

test_empty_rollout_history_fails if {
	count(canary.deny) == 1 with input as _high([_deployment(100, [])])
}

test_deployment_at_canary_share_is_not_judged if {
	count(canary.deny) == 0 with input as _high([_deployment(10, [])])
}

test_deployment_just_above_canary_share_is_judged if {
	count(canary.deny) == 1 with input as _high([_deployment(10.5, [])])
}

test_non_production_deployment_is_not_judged if {
	deployment := object.union(_deployment(100, []), {"environment": "staging"})
	count(canary.deny) == 0 with input as _high([deployment])
}

test_deployment_of_missing_version_is_skipped if {
	deployment := object.union(_deployment(100, []), {"version": "9.9.9"})
	count(canary.deny) == 0 with input as _high([deployment])
}

test_zero_traffic_step_is_not_a_canary if {
	rollout := [_step(0, "2026-11-01T00:00:00Z"), _step(100, "2026-11-05T00:00:00Z")]
	count(canary.deny) == 1 with input as _high([_deployment(100, rollout)])
}

test_step_above_share_is_not_a_canary if {
	rollout := [_step(20, "2026-11-01T00:00:00Z"), _step(100, "2026-11-05T00:00:00Z")]
	count(canary.deny) == 1 with input as _high([_deployment(100, rollout)])
}

test_step_exactly_at_share_is_a_canary if {
	rollout := [_step(10, "2026-11-01T00:00:00Z"), _step(100, "2026-11-05T00:00:00Z")]
	count(canary.deny) == 0 with input as _high([_deployment(100, rollout)])
}

test_short_canary_steps_are_not_added_up if {
	rollout := [
		_step(5, "2026-11-01T00:00:00Z"),
		_step(10, "2026-11-01T12:00:00Z"),
		_step(100, "2026-11-02T00:00:00Z"),
	]
	count(canary.deny) == 1 with input as _high([_deployment(100, rollout)])
}

test_canary_after_a_rollout_above_the_share_does_not_count if {
	# The version first went to 100 % without a canary; a later canary does not undo that.
	rollout := [
		_step(5, "2026-11-01T00:00:00Z"),
		_step(100, "2026-11-01T01:00:00Z"),
		_step(5, "2026-11-02T00:00:00Z"),
		_step(50, "2026-11-04T00:00:00Z"),
	]
	count(canary.deny) == 1 with input as _high([_deployment(50, rollout)])
}

test_long_canary_after_a_short_one_passes if {
	rollout := [
		_step(5, "2026-11-01T00:00:00Z"),
		_step(10, "2026-11-01T01:00:00Z"),
		_step(50, "2026-11-04T00:00:00Z"),
	]
	count(canary.deny) == 0 with input as _high([_deployment(50, rollout)])
}

test_history_ending_in_a_canary_does_not_explain_the_current_share if {
	# The deployment serves 50 % but its history stops at 5 %: when it went up is unknown.
	rollout := [_step(5, "2026-11-01T00:00:00Z")]
	count(canary.deny) == 1 with input as _high([_deployment(50, rollout)])
}

test_last_canary_step_shorter_than_minimum_until_now_fails if {
	rollout := [_step(5, "2026-11-20T07:00:00Z")]
	count(canary.deny) == 1 with input as _high([_deployment(50, rollout)])
}

test_model_without_tier_is_judged_as_high if {
	model := object.remove(_model("high"), ["risk_tier"])
	deployments := [_deployment(100, _canary_until("2026-11-01T23:00:00Z"))]
	count(canary.deny) == 1 with input as _snapshot([model], deployments)
		with data.almguard.config.rollout.canary_min_duration_hours as {"high": 24, "limited": 1, "minimal": 1}
}

test_canary_max_percent_override if {
	count(canary.deny) == 0 with input as _high([_deployment(50, [])])
		with data.almguard.config.rollout.canary_max_percent as {"high": 50, "limited": 10, "minimal": 10}
}

test_canary_min_duration_override_is_read_by_tier if {
	deployments := [_deployment(100, _canary_until("2026-11-01T12:00:00Z"))]
	config := {"high": 24, "limited": 24, "minimal": 12}
	count(canary.deny) == 0 with input as _snapshot([_model("minimal")], deployments)
		with data.almguard.config.rollout.canary_min_duration_hours as config
	count(canary.deny) == 1 with input as _snapshot([_model("limited")], deployments)
		with data.almguard.config.rollout.canary_min_duration_hours as config
}
