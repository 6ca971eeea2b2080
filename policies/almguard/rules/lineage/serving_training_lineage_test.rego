package almguard.rules.lineage.serving_training_lineage_test

import rego.v1

import data.almguard.rules.lineage.serving_training_lineage as rule

_snapshot(version, deployments) := data.almguard.test.builder.snapshot({
	"datasets": [data.almguard.test.builder.dataset({})],
	"models": [_model(version)],
	"deployments": deployments,
})

_deployment(endpoint, environment, version, traffic) := data.almguard.test.builder.deployment({
	"endpoint": endpoint,
	"environment": environment,
	"version": version,
	"traffic_percent": traffic,
})

# A custom model whose version 1.0.0 is at stage production unless the fields say otherwise.
_model(version) := data.almguard.test.builder.model_with_version(
	{"type": "custom"},
	object.union({"stage": "production"}, version),
)

# Production traffic on endpoint ep from a version with the given fields.
_serving(version) := _snapshot(version, [_deployment("ep", "production", "1.0.0", 100)])

_finding(endpoint) := {
	"resource": {"kind": "deployment", "id": sprintf("%s/m@1.0.0", [endpoint])},
	"message": sprintf(
		"Deployment '%s/m@1.0.0' serves production traffic from model version 'm@1.0.0', which has no training-data lineage",
		[endpoint],
	),
}

test_served_version_with_training_data_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		{"lineage": {"training_data": [{"dataset": "d", "version": "1"}]}},
		[_deployment("ep", "production", "1.0.0", 100)],
	)
}

test_served_version_without_lineage_fails_on_the_deployment if {
	rule.deny == {_finding("ep")} with input as _serving({})
}

test_empty_training_data_fails if {
	rule.deny == {_finding("ep")} with input as _snapshot(
		{"lineage": {"training_data": [], "preprocessing": [{"name": "scale"}]}},
		[_deployment("ep", "production", "1.0.0", 100)],
	)
}

test_version_on_two_endpoints_gives_one_finding_per_deployment if {
	rule.deny == {_finding("ep-a"), _finding("ep-b")} with input as _snapshot({}, [
		_deployment("ep-a", "production", "1.0.0", 100),
		_deployment("ep-b", "production", "1.0.0", 5),
	])
}

test_production_deployment_without_traffic_is_not_serving if {
	count(rule.deny) == 0 with input as _snapshot({}, [_deployment("ep", "production", "1.0.0", 0)])
}

test_staging_environment_is_left_to_training_lineage_rule if {
	count(rule.deny) == 0 with input as _snapshot({}, [_deployment("ep", "staging", "1.0.0", 100)])
}

test_deployment_of_unknown_version_is_skipped if {
	count(rule.deny) == 0 with input as _snapshot({}, [_deployment("ep", "production", "9.9.9", 100)])
}

test_training_lineage_exempt_types_is_policy_data if {
	count(rule.deny) == 0 with input as _serving({})
		with data.almguard.config.lineage.training_lineage_exempt_types as ["custom"]
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_fails if {
	rule.deny == {_finding("ep")} with input as _serving({})
}
