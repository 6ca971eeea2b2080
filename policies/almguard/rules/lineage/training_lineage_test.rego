package almguard.rules.lineage.training_lineage_test

import rego.v1

import data.almguard.rules.lineage.training_lineage as rule

_snapshot(version, deployments) := data.almguard.test.builder.snapshot({
	"datasets": [data.almguard.test.builder.dataset({})],
	"models": [data.almguard.test.builder.model_with_version({"type": "custom"}, version)],
	"deployments": deployments,
})

_deployment(endpoint, environment, traffic) := data.almguard.test.builder.deployment({
	"endpoint": endpoint,
	"environment": environment,
	"traffic_percent": traffic,
})

_version_finding(stage) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf("Model version 'm@1.0.0' at stage '%s' has no training-data lineage", [stage]),
}

_deployment_finding(endpoint, environment) := {
	"resource": {"kind": "deployment", "id": sprintf("%s/m@1.0.0", [endpoint])},
	"message": sprintf(
		"Deployment '%s/m@1.0.0' serves %s traffic from model version 'm@1.0.0', which has no training-data lineage",
		[endpoint, environment],
	),
}

test_staging_version_with_training_data_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		{"stage": "staging", "lineage": {"training_data": [{"dataset": "d", "version": "1"}]}},
		[_deployment("ep", "staging", 100)],
	)
}

test_undeployed_staging_version_without_lineage_fails if {
	rule.deny == {_version_finding("staging")} with input as _snapshot({"stage": "staging"}, [])
}

test_undeployed_production_stage_version_fails if {
	version := {"stage": "production", "lineage": {"training_data": []}}
	rule.deny == {_version_finding("production")} with input as _snapshot(version, [])
}

test_undeployed_evaluation_version_passes if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "evaluation"}, [])
}

test_version_without_stage_and_without_deployment_passes if {
	count(rule.deny) == 0 with input as _snapshot({}, [])
}

test_deployment_without_traffic_does_not_count_as_deployed if {
	idle := _snapshot({"stage": "staging"}, [_deployment("ep", "staging", 0)])
	rule.deny == {_version_finding("staging")} with input as idle
}

test_staging_traffic_fails_on_each_deployment_not_the_version if {
	findings := {_deployment_finding("ep-a", "staging"), _deployment_finding("ep-b", "development")}
	rule.deny == findings with input as _snapshot(
		{"stage": "staging"},
		[_deployment("ep-a", "staging", 100), _deployment("ep-b", "development", 10)],
	)
}

test_development_version_serving_traffic_fails if {
	serving := _snapshot({}, [_deployment("ep", "development", 100)])
	rule.deny == {_deployment_finding("ep", "development")} with input as serving
}

test_production_traffic_is_left_to_the_critical_rule if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "production"}, [_deployment("ep", "production", 100)])
}

test_production_and_staging_traffic_reports_only_the_staging_deployment_here if {
	rule.deny == {_deployment_finding("ep-s", "staging")} with input as _snapshot(
		{"stage": "production"},
		[_deployment("ep-p", "production", 100), _deployment("ep-s", "staging", 100)],
	)
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment("ep", "staging", 100), {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot({}, [deployment])
}

test_required_stages_is_policy_data if {
	rule.deny == {_version_finding("evaluation")} with input as _snapshot({"stage": "evaluation"}, [])
		with data.almguard.config.lineage.required_stages as ["evaluation", "staging", "production"]
}

test_training_lineage_exempt_types_is_policy_data if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "staging"}, [_deployment("ep", "staging", 100)])
		with data.almguard.config.lineage.training_lineage_exempt_types as ["custom"]
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_fails if {
	rule.deny == {_version_finding("staging")} with input as _snapshot({"stage": "staging"}, [])
}
