package almguard.rules.lineage.training_data_deleted_test

import rego.v1

import data.almguard.rules.lineage.training_data_deleted

# captured_at (now) is 2026-11-20T08:00:00Z
_snapshot(datasets, deployments) := {
	"schema_version": 1,
	"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
	"datasets": datasets,
	"models": [{"name": "m", "versions": [{
		"version": "1.0.0",
		"stage": "production",
		"lineage": {"training_data": [{"dataset": "d", "version": "1"}, {"dataset": "e", "version": "1"}]},
	}]}],
	"deployments": deployments,
}

_deployment(endpoint, environment, traffic) := {
	"endpoint": endpoint,
	"environment": environment,
	"model": "m",
	"version": "1.0.0",
	"traffic_percent": traffic,
}

_deleted(at) := [{"name": "d", "version": "1", "deleted_at": at}, {"name": "e", "version": "1"}]

_finding(at) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf("Model version 'm@1.0.0' serves traffic but its training dataset version 'd@1' was deleted at %s", [at]),
}

test_training_data_still_held_passes if {
	count(training_data_deleted.deny) == 0 with input as _snapshot(
		[{"name": "d", "version": "1"}, {"name": "e", "version": "1"}],
		[_deployment("ep", "production", 100)],
	)
}

test_training_data_deleted_before_now_fails if {
	training_data_deleted.deny == {_finding("2026-06-01T00:00:00Z")} with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep", "production", 100)],
	)
}

test_deletion_at_exactly_now_counts_as_deleted if {
	training_data_deleted.deny == {_finding("2026-11-20T08:00:00Z")} with input as _snapshot(
		_deleted("2026-11-20T08:00:00Z"),
		[_deployment("ep", "production", 100)],
	)
}

test_deletion_one_second_after_now_is_not_yet_done if {
	count(training_data_deleted.deny) == 0 with input as _snapshot(
		_deleted("2026-11-20T08:00:01Z"),
		[_deployment("ep", "production", 100)],
	)
}

test_deletion_time_with_offset_is_compared_as_an_instant if {
	# 09:00:00+01:00 is exactly now
	count(training_data_deleted.deny) == 1 with input as _snapshot(
		_deleted("2026-11-20T09:00:00+01:00"),
		[_deployment("ep", "production", 100)],
	)
}

test_version_without_traffic_passes if {
	count(training_data_deleted.deny) == 0 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep", "production", 0)],
	)
}

test_staging_traffic_counts_as_serving if {
	count(training_data_deleted.deny) == 1 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep", "staging", 10)],
	)
}

test_version_on_two_endpoints_gives_one_finding if {
	count(training_data_deleted.deny) == 1 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[_deployment("ep-a", "production", 100), _deployment("ep-b", "production", 100)],
	)
}

test_missing_dataset_is_skipped if {
	count(training_data_deleted.deny) == 0 with input as _snapshot([], [_deployment("ep", "production", 100)])
}

test_deployment_of_unknown_version_is_skipped if {
	count(training_data_deleted.deny) == 0 with input as _snapshot(
		_deleted("2026-06-01T00:00:00Z"),
		[object.union(_deployment("ep", "production", 100), {"version": "9.9.9"})],
	)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_deleted_at_means_not_deleted if {
	count(training_data_deleted.deny) == 0 with input as _snapshot(
		[{"name": "d", "version": "1"}, {"name": "e", "version": "1"}],
		[_deployment("ep", "production", 100)],
	)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_is_skipped if {
	count(training_data_deleted.deny) == 0 with input as object.union(
		_snapshot(_deleted("2026-06-01T00:00:00Z"), [_deployment("ep", "production", 100)]),
		{"models": [{"name": "m", "versions": [{"version": "1.0.0"}]}]},
	)
}
