package almguard.rules.rollout.endpoint_traffic_total_test

import rego.v1

import data.almguard.rules.rollout.endpoint_traffic_total

_snapshot(deployments) := data.almguard.test.builder.snapshot({
	"models": [_model],
	"deployments": deployments,
})

# Model m with versions 1.0.0, 2.0.0 and 3.0.0.
_model := data.almguard.test.builder.model({"versions": [
	data.almguard.test.builder.version({}),
	data.almguard.test.builder.version({"version": "2.0.0"}),
	data.almguard.test.builder.version({"version": "3.0.0"}),
]})

_deployment(endpoint, version, traffic) := data.almguard.test.builder.deployment({
	"endpoint": endpoint,
	"version": version,
	"traffic_percent": traffic,
})

test_split_of_exactly_100_passes if {
	count(endpoint_traffic_total.deny) == 0 with input as _snapshot([
		_deployment("ep", "1.0.0", 90),
		_deployment("ep", "2.0.0", 10),
	])
}

test_decimal_split_adding_up_to_100_passes if {
	count(endpoint_traffic_total.deny) == 0 with input as _snapshot([
		_deployment("ep", "1.0.0", 33.3),
		_deployment("ep", "2.0.0", 33.3),
		_deployment("ep", "3.0.0", 33.4),
	])
}

test_float_error_in_tenths_passes if {
	count(endpoint_traffic_total.deny) == 0 with input as _snapshot([
		_deployment("ep", "1.0.0", 99.9),
		_deployment("ep", "2.0.0", 0.1),
	])
}

test_total_below_100_passes if {
	count(endpoint_traffic_total.deny) == 0 with input as _snapshot([_deployment("ep", "1.0.0", 50)])
}

test_total_above_100_fails if {
	endpoint_traffic_total.deny == {{
		"resource": {"kind": "endpoint", "id": "ep"},
		"message": "The traffic shares of the deployments on endpoint 'ep' add up to more than 100 %",
	}} with input as _snapshot([
		_deployment("ep", "1.0.0", 100),
		_deployment("ep", "2.0.0", 10),
		_deployment("other", "3.0.0", 100),
	])
}

test_total_just_above_tolerance_fails if {
	count(endpoint_traffic_total.deny) == 1 with input as _snapshot([
		_deployment("ep", "1.0.0", 90),
		_deployment("ep", "2.0.0", 10.01),
	])
}

test_deployments_of_missing_versions_still_count_toward_total if {
	count(endpoint_traffic_total.deny) == 1 with input as _snapshot([
		_deployment("ep", "1.0.0", 100),
		_deployment("ep", "9.9.9", 100),
	])
}

test_tolerance_override if {
	count(endpoint_traffic_total.deny) == 0 with input as _snapshot([
		_deployment("ep", "1.0.0", 90),
		_deployment("ep", "2.0.0", 10.01),
	])
		with data.almguard.config.rollout.traffic_total_tolerance_percent as 0.1
}

test_no_deployments_passes if {
	count(endpoint_traffic_total.deny) == 0 with input as data.almguard.test.builder.snapshot({})
}
