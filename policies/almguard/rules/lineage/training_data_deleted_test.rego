package almguard.rules.lineage.training_data_deleted_test

import rego.v1

import data.almguard.rules.lineage.training_data_deleted as rule

# captured_at (now) is 2026-11-20T08:00:00Z
_snapshot(datasets, deployments) := data.almguard.test.builder.snapshot({
	"datasets": datasets,
	"models": [data.almguard.test.builder.model_with_version({}, {
		"stage": "production",
		"lineage": {"training_data": [data.almguard.test.builder.ref("d", "1"), data.almguard.test.builder.ref("e", "1")]},
	})],
	"deployments": deployments,
})

_deployment(endpoint, environment, traffic) := data.almguard.test.builder.deployment({
	"endpoint": endpoint,
	"environment": environment,
	"traffic_percent": traffic,
})

# d@1 deleted at the given time, e@1 held.
_deleted(at) := [
	data.almguard.test.builder.dataset({"deleted_at": at}),
	data.almguard.test.builder.dataset({"name": "e"}),
]

_finding(at) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf(
		"Model version 'm@1.0.0' serves traffic but its training dataset version 'd@1' was deleted at %s",
		[at],
	),
}

test_training_data_still_held_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		[data.almguard.test.builder.dataset({}), data.almguard.test.builder.dataset({"name": "e"})],
		[_deployment("ep", "production", 100)],
	)
}

test_training_data_deleted_before_now_fails if {
	rule.deny == {_finding("2026-06-01T00:00:00Z")} with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep", "production", 100)],
	)
}

test_deletion_at_exactly_now_counts_as_deleted if {
	rule.deny == {_finding("2026-11-20T08:00:00Z")} with input as _snapshot(
		_deleted("2026-11-20T08:00:00Z"),
		[_deployment("ep", "production", 100)],
	)
}

test_deletion_one_second_after_now_is_not_yet_done if {
	count(rule.deny) == 0 with input as _snapshot(
		_deleted("2026-11-20T08:00:01Z"),
		[_deployment("ep", "production", 100)],
	)
}

test_deletion_time_with_offset_is_compared_as_an_instant if {
	# 09:00:00+01:00 is exactly now
	count(rule.deny) == 1 with input as _snapshot(
		_deleted("2026-11-20T09:00:00+01:00"),
		[_deployment("ep", "production", 100)],
	)
}

test_version_without_traffic_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep", "production", 0)],
	)
}

test_staging_traffic_counts_as_serving if {
	count(rule.deny) == 1 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep", "staging", 10)],
	)
}

test_version_on_two_endpoints_gives_one_finding if {
	count(rule.deny) == 1 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep-a", "production", 100), _deployment("ep-b", "production", 100)],
	)
}

test_missing_dataset_is_skipped if {
	count(rule.deny) == 0 with input as _snapshot([], [_deployment("ep", "production", 100)])
}

test_deployment_of_unknown_version_is_skipped if {
	count(rule.deny) == 0 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[object.union(_deployment("ep", "production", 100), {"version": "9.9.9"})],
	)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_deleted_at_means_not_deleted if {
	count(rule.deny) == 0 with input as _snapshot(
		[data.almguard.test.builder.dataset({}), data.almguard.test.builder.dataset({"name": "e"})],
		[_deployment("ep", "production", 100)],
	)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_is_skipped if {
	count(rule.deny) == 0 with input as object.union(
		_snapshot(_deleted("2026-06-01T00:00:00Z"), [_deployment("ep", "production", 100)]),
		{"models": [data.almguard.test.builder.model({})]},
	)
}
