package almguard.rules.registry.deployment_version_exists_test

import rego.v1

import data.almguard.rules.registry.deployment_version_exists

_snapshot(deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model({})],
	"deployments": deployments,
})

_deployment(model, version, traffic) := data.almguard.test.builder.deployment({
	"model": model,
	"version": version,
	"traffic_percent": traffic,
})

test_deployment_of_registered_version_passes if {
	count(deployment_version_exists.deny) == 0 with input as _snapshot([_deployment("m", "1.0.0", 100)])
}

test_no_deployments_no_finding if {
	count(deployment_version_exists.deny) == 0 with input as _snapshot([])
}

test_deployment_of_missing_model_fails if {
	deployment_version_exists.deny == {{
		"resource": {"kind": "deployment", "id": "ep/other@1.0.0"},
		"message": "Deployment 'ep/other@1.0.0' names model 'other', which is not in the registry",
	}} with input as _snapshot([_deployment("m", "1.0.0", 50), _deployment("other", "1.0.0", 50)])
}

test_deployment_of_missing_version_fails if {
	deployment_version_exists.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@2.0.0"},
		"message": "Deployment 'ep/m@2.0.0' names version '2.0.0' of model 'm', which is not in the registry",
	}} with input as _snapshot([_deployment("m", "2.0.0", 100)])
}

test_deployment_without_traffic_is_checked_too if {
	count(deployment_version_exists.deny) == 1 with input as _snapshot([_deployment("m", "2.0.0", 0)])
}
