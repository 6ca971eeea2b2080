package almguard.rules.evaluation.data_separation_test

import rego.v1

import data.almguard.rules.evaluation.data_separation

_snapshot(version) := data.almguard.test.builder.snapshot_with_version({"risk_tier": "high"}, version)

_ref(name, version) := data.almguard.test.builder.ref(name, version)

_train := {"training_data": [_ref("loans", "3")]}

_overlap := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Version 'm@1.0.0' is evaluated on dataset 'loans@3', which also trained it",
}

test_separate_evaluation_data_passes if {
	version := {
		"lineage": object.union(_train, {"evaluation_data": [_ref("loans-holdout", "1")]}),
		"evaluations": [{"metric": "accuracy", "value": 0.9, "dataset": _ref("loans-holdout", "1")}],
	}
	count(data_separation.deny) == 0 with input as _snapshot(version)
}

test_lineage_evaluation_data_overlapping_training_fails if {
	version := {"lineage": object.union(_train, {"evaluation_data": [_ref("loans", "3")]})}
	data_separation.deny == {_overlap} with input as _snapshot(version)
}

test_evaluation_dataset_overlapping_training_fails if {
	version := {
		"lineage": _train,
		"evaluations": [{"metric": "accuracy", "value": 0.9, "dataset": _ref("loans", "3")}],
	}
	data_separation.deny == {_overlap} with input as _snapshot(version)
}

test_overlap_named_in_several_places_is_one_finding if {
	version := {
		"lineage": object.union(_train, {"evaluation_data": [_ref("loans", "3")]}),
		"evaluations": [
			{"metric": "accuracy", "value": 0.9, "dataset": _ref("loans", "3")},
			{"metric": "f1", "value": 0.9, "dataset": _ref("loans", "3")},
		],
	}
	data_separation.deny == {_overlap} with input as _snapshot(version)
}

test_each_overlapping_dataset_is_a_finding if {
	refs := [_ref("loans", "3"), _ref("bureau", "7")]
	version := {"lineage": {"training_data": refs, "evaluation_data": refs}}
	count(data_separation.deny) == 2 with input as _snapshot(version)
}

test_another_version_of_the_training_dataset_passes if {
	version := {"lineage": object.union(_train, {"evaluation_data": [_ref("loans", "4")]})}
	count(data_separation.deny) == 0 with input as _snapshot(version)
}

test_version_without_training_data_is_not_checked if {
	version := {
		"lineage": {"evaluation_data": [_ref("loans", "3")]},
		"evaluations": [{"metric": "accuracy", "value": 0.9, "dataset": _ref("loans", "3")}],
	}
	count(data_separation.deny) == 0 with input as _snapshot(version)
}

test_version_without_lineage_is_not_checked if {
	count(data_separation.deny) == 0 with input as _snapshot({})
}

test_evaluations_without_dataset_pass if {
	version := {"lineage": _train, "evaluations": [{"metric": "accuracy", "value": 0.9}]}
	count(data_separation.deny) == 0 with input as _snapshot(version)
}

test_undeployed_development_version_is_checked_too if {
	version := {"stage": "development", "lineage": object.union(_train, {"evaluation_data": [_ref("loans", "3")]})}
	data_separation.deny == {_overlap} with input as _snapshot(version)
}
