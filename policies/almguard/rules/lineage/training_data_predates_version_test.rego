package almguard.rules.lineage.training_data_predates_version_test

import rego.v1

import data.almguard.rules.lineage.training_data_predates_version as rule

_snapshot(version, datasets) := data.almguard.test.builder.snapshot({
	"datasets": datasets,
	"models": [data.almguard.test.builder.model_with_version(
		{"risk_tier": "high"},
		object.union({"created_at": "2026-05-20T10:00:00Z"}, version),
	)],
})

# Version 1.0.0 trained on d@<version>, with dataset d@<version> created at the given time.
_trained_on_one(version, created_at) := _snapshot(_trained_on([_ref(version)]), [_dataset(version, created_at)])

_trained_on(refs) := {"lineage": {"training_data": refs}}

_ref(version) := data.almguard.test.builder.ref("d", version)

_dataset(version, created_at) := data.almguard.test.builder.dataset({"version": version, "created_at": created_at})

_late := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Model version 'm@1.0.0' was created at 2026-05-20T10:00:00Z, before its training dataset version 'd@2' was created at 2026-05-21T06:00:00Z",
}

test_training_data_created_before_the_version_passes if {
	count(rule.deny) == 0 with input as _trained_on_one("1", "2026-05-04T06:00:00Z")
}

test_training_data_created_at_the_same_instant_passes if {
	count(rule.deny) == 0 with input as _trained_on_one("1", "2026-05-20T10:00:00Z")
}

test_training_data_created_after_the_version_fails if {
	rule.deny == {_late} with input as _snapshot(
		_trained_on([_ref("1"), _ref("2")]),
		[_dataset("1", "2026-05-04T06:00:00Z"), _dataset("2", "2026-05-21T06:00:00Z")],
	)
}

test_times_compare_across_offsets if {
	# 11:00+02:00 is 09:00Z, before the 10:00Z creation; 13:00+02:00 is 11:00Z, after it.
	count(rule.deny) == 0 with input as _trained_on_one("1", "2026-05-20T11:00:00+02:00")
	count(rule.deny) == 1 with input as _trained_on_one("1", "2026-05-20T13:00:00+02:00")
}

test_undeployed_versions_are_checked_too if {
	version := object.union(_trained_on([_ref("2")]), {"stage": "development"})
	rule.deny == {_late} with input as _snapshot(version, [_dataset("2", "2026-05-21T06:00:00Z")])
}

test_newer_evaluation_data_is_fine if {
	version := {"lineage": {"evaluation_data": [_ref("2")]}}
	count(rule.deny) == 0 with input as _snapshot(version, [_dataset("2", "2026-05-21T06:00:00Z")])
}

test_undated_dataset_or_version_is_not_judged if {
	undated := _snapshot(_trained_on([_ref("2")]), [data.almguard.test.builder.dataset({"version": "2"})])
	count(rule.deny) == 0 with input as undated
	snapshot := data.almguard.test.builder.snapshot({
		"datasets": [_dataset("2", "2026-05-21T06:00:00Z")],
		"models": [data.almguard.test.builder.model_with_version({}, _trained_on([_ref("2")]))],
	})
	count(rule.deny) == 0 with input as snapshot
}

test_unknown_dataset_version_is_skipped if {
	count(rule.deny) == 0 with input as _snapshot(_trained_on([_ref("9")]), [_dataset("1", "2026-05-21T06:00:00Z")])
}
