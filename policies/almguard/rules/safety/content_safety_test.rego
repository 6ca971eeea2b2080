package almguard.rules.safety.content_safety_test

import rego.v1

import data.almguard.rules.safety.content_safety

_snapshot(type, deployment) := _with_model(_model(type), deployment)

_with_model(model, deployment) := data.almguard.test.builder.snapshot({"models": [model], "deployments": [deployment]})

_model(type) := data.almguard.test.builder.model({"risk_tier": "high", "type": type})

_deployment(content_safety) := data.almguard.test.builder.deployment({
	"deployed_at": "2026-10-03T10:00:00Z",
	"content_safety": content_safety,
})

_disabled := {
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": "Deployment 'ep/m@1.0.0' serves generative model 'm' in production without content safety enabled",
}

_filters := {"high": ["hate", "violence"], "limited": [], "minimal": []}

test_enabled_content_safety_passes if {
	count(content_safety.deny) == 0 with input as _snapshot("agent", _deployment({"enabled": true}))
}

test_disabled_content_safety_fails if {
	content_safety.deny == {_disabled} with input as _snapshot("foundation", _deployment({"enabled": false}))
}

test_absent_content_safety_fails if {
	deployment := object.remove(_deployment({}), ["content_safety"])
	content_safety.deny == {_disabled} with input as _snapshot("fine_tuned", deployment)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_content_safety_fails if {
	content_safety.deny == {_disabled} with input as _snapshot("agent", object.remove(_deployment({}), ["content_safety"]))
}

test_custom_model_is_not_checked if {
	count(content_safety.deny) == 0 with input as _snapshot("custom", _deployment({"enabled": false}))
}

test_model_without_type_is_not_checked if {
	model := object.remove(_model("agent"), ["type"])
	count(content_safety.deny) == 0 with input as _with_model(model, _deployment({"enabled": false}))
}

test_generative_types_come_from_shared_config if {
	content_safety.deny == {_disabled} with input as _snapshot("custom", _deployment({"enabled": false}))
		with data.almguard.config.generative_types as ["custom"]
}

test_staging_deployment_is_not_checked if {
	deployment := object.union(_deployment({"enabled": false}), {"environment": "staging"})
	count(content_safety.deny) == 0 with input as _snapshot("agent", deployment)
}

test_deployment_without_traffic_is_not_checked if {
	deployment := object.union(_deployment({"enabled": false}), {"traffic_percent": 0})
	count(content_safety.deny) == 0 with input as _snapshot("agent", deployment)
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment({"enabled": false}), {"version": "9.9.9"})
	count(content_safety.deny) == 0 with input as _snapshot("agent", deployment)
}

test_required_filters_present_pass if {
	deployment := _deployment({"enabled": true, "filters": ["violence", "hate", "self_harm"]})
	count(content_safety.deny) == 0 with input as _snapshot("agent", deployment)
		with data.almguard.config.safety.required_content_filters as _filters
}

test_missing_required_filters_are_named_in_one_finding if {
	deployment := _deployment({"enabled": true, "filters": ["self_harm"]})
	content_safety.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' has content safety without the required filter 'hate', 'violence'",
	}} with input as _snapshot("agent", deployment)
		with data.almguard.config.safety.required_content_filters as _filters
}

test_enabled_without_filters_field_misses_required_filters if {
	content_safety.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' has content safety without the required filter 'hate', 'violence'",
	}} with input as _snapshot("agent", _deployment({"enabled": true}))
		with data.almguard.config.safety.required_content_filters as _filters
}

test_disabled_with_required_filters_is_one_finding if {
	content_safety.deny == {_disabled} with input as _snapshot("agent", _deployment({"enabled": false}))
		with data.almguard.config.safety.required_content_filters as _filters
}

test_required_filters_follow_the_risk_tier if {
	model := object.union(_model("agent"), {"risk_tier": "minimal"})
	count(content_safety.deny) == 0 with input as _with_model(model, _deployment({"enabled": true}))
		with data.almguard.config.safety.required_content_filters as _filters
}
