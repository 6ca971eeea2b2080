package almguard.rules.lineage.training_data_predates_version_test

import rego.v1

import data.almguard.rules.lineage.training_data_predates_version

_snapshot(version, datasets) := {
	"schema_version": 1,
	"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
	"datasets": datasets,
	"models": [{"name": "m", "risk_tier": "high", "versions": [object.union(
		{"version": "1.0.0", "created_at": "2026-05-20T10:00:00Z"},
		version,
	)]}],
}

_trained_on(refs) := {"lineage": {"training_data": refs}}

_ref(version) := {"dataset": "d", "version": version}

_dataset(version, created_at) := {"name": "d", "version": version, "created_at": created_at}

_late := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Model version 'm@1.0.0' was created at 2026-05-20T10:00:00Z, before its training dataset version 'd@2' was created at 2026-05-21T06:00:00Z",
}

test_training_data_created_before_the_version_passes if {
	count(training_data_predates_version.deny) == 0 with input as _snapshot(_trained_on([_ref("1")]), [_dataset("1", "2026-05-04T06:00:00Z")])
}

test_training_data_created_at_the_same_instant_passes if {
	count(training_data_predates_version.deny) == 0 with input as _snapshot(_trained_on([_ref("1")]), [_dataset("1", "2026-05-20T10:00:00Z")])
}

test_training_data_created_after_the_version_fails if {
	training_data_predates_version.deny == {_late} with input as _snapshot(
		_trained_on([_ref("1"), _ref("2")]),
		[_dataset("1", "2026-05-04T06:00:00Z"), _dataset("2", "2026-05-21T06:00:00Z")],
	)
}

test_times_compare_across_offsets if {
	# 11:00+02:00 is 09:00Z, before the 10:00Z creation; 13:00+02:00 is 11:00Z, after it.
	count(training_data_predates_version.deny) == 0 with input as _snapshot(_trained_on([_ref("1")]), [_dataset("1", "2026-05-20T11:00:00+02:00")])
	count(training_data_predates_version.deny) == 1 with input as _snapshot(_trained_on([_ref("1")]), [_dataset("1", "2026-05-20T13:00:00+02:00")])
}

test_undeployed_versions_are_checked_too if {
	version := object.union(_trained_on([_ref("2")]), {"stage": "development"})
	training_data_predates_version.deny == {_late} with input as _snapshot(version, [_dataset("2", "2026-05-21T06:00:00Z")])
}

test_newer_evaluation_data_is_fine if {
	version := {"lineage": {"evaluation_data": [_ref("2")]}}
	count(training_data_predates_version.deny) == 0 with input as _snapshot(version, [_dataset("2", "2026-05-21T06:00:00Z")])
}

test_undated_dataset_or_version_is_not_judged if {
	count(training_data_predates_version.deny) == 0 with input as _snapshot(_trained_on([_ref("2")]), [{"name": "d", "version": "2"}])
	snapshot := {
		"schema_version": 1,
		"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
		"datasets": [_dataset("2", "2026-05-21T06:00:00Z")],
		"models": [{"name": "m", "versions": [object.union({"version": "1.0.0"}, _trained_on([_ref("2")]))]}],
	}
	count(training_data_predates_version.deny) == 0 with input as snapshot
}

test_unknown_dataset_version_is_skipped if {
	count(training_data_predates_version.deny) == 0 with input as _snapshot(_trained_on([_ref("9")]), [_dataset("1", "2026-05-21T06:00:00Z")])
}
