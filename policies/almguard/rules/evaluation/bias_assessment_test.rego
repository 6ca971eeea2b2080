package almguard.rules.evaluation.bias_assessment_test

import rego.v1

import data.almguard.rules.evaluation.bias_assessment as rule

_snapshot(model, deployments) := data.almguard.test.builder.snapshot({"models": [model], "deployments": deployments})

_model(tier, version) := data.almguard.test.builder.model_with_version({"risk_tier": tier}, version)

_deployment(traffic) := data.almguard.test.builder.deployment({
	"traffic_percent": traffic,
	"deployed_at": "2026-10-03T10:00:00Z",
})

_missing := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' of model 'm' has no passed bias assessment, which risk tier 'high' requires",
}

_passed := {"bias_assessments": [{"method": "disparate_impact", "passed": true}]}

test_deployed_high_risk_version_with_passed_assessment_passes if {
	count(rule.deny) == 0 with input as _snapshot(_model("high", _passed), [_deployment(100)])
}

test_deployed_high_risk_version_without_assessment_fails if {
	rule.deny == {_missing} with input as _snapshot(_model("high", {}), [_deployment(100)])
}

test_only_failed_assessments_fail if {
	version := {"bias_assessments": [{"method": "disparate_impact", "passed": false}]}
	rule.deny == {_missing} with input as _snapshot(_model("high", version), [_deployment(100)])
}

test_one_passed_among_failed_assessments_passes if {
	version := {"bias_assessments": [
		{"method": "disparate_impact", "passed": false},
		{"method": "equalized_odds", "passed": true},
	]}
	count(rule.deny) == 0 with input as _snapshot(_model("high", version), [_deployment(100)])
}

test_staging_version_without_traffic_is_checked if {
	rule.deny == {_missing} with input as _snapshot(_model("high", {"stage": "staging"}), [])
}

test_production_stage_version_is_checked if {
	rule.deny == {_missing} with input as _snapshot(_model("high", {"stage": "production"}), [])
}

test_deployed_and_staged_version_gives_one_finding if {
	rule.deny == {_missing} with input as _snapshot(_model("high", {"stage": "production"}), [_deployment(100)])
}

test_development_version_without_traffic_is_not_checked if {
	count(rule.deny) == 0 with input as _snapshot(_model("high", {}), [_deployment(0)])
}

test_version_without_stage_defaults_to_development if {
	count(rule.deny) == 0 with input as _snapshot(_model("high", {}), [])
}

test_limited_risk_model_is_not_checked if {
	count(rule.deny) == 0 with input as _snapshot(_model("limited", {}), [_deployment(100)])
}

test_model_without_tier_counts_as_high_and_says_so if {
	model := data.almguard.test.builder.model({})
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' of model 'm' has no passed bias assessment, which its tier (held to tier high: no risk tier recorded) requires",
	}} with input as _snapshot(model, [_deployment(100)])
}

test_configured_tiers_are_checked if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' of model 'm' has no passed bias assessment, which risk tier 'limited' requires",
	}} with input as _snapshot(_model("limited", {}), [_deployment(100)])
		with data.almguard.config.evaluation.bias_assessment_tiers as ["high", "limited"]
}

test_configured_stages_are_checked if {
	input_snapshot := _snapshot(_model("high", {"stage": "evaluation"}), [])
	count(rule.deny) == 0 with input as input_snapshot
	rule.deny == {_missing} with input as input_snapshot
		with data.almguard.config.evaluation.bias_assessment_stages as ["evaluation"]
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment(100), {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot(_model("high", {}), [deployment])
}
