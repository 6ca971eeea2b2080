package almguard.rules.registry.dataset_ref_exists_test

import rego.v1

import data.almguard.rules.registry.dataset_ref_exists

_snapshot(version) := {
	"schema_version": 1,
	"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
	"datasets": [{"name": "d", "version": "1"}, {"name": "e", "version": "1"}],
	"models": [{"name": "m", "versions": [object.union({"version": "1.0.0"}, version)]}],
}

_ref(name, version) := {"dataset": name, "version": version}

_missing(dataset_id) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf("Model version 'm@1.0.0' links to dataset version '%s', which is not in the registry", [dataset_id]),
}

test_links_to_registered_datasets_pass if {
	count(dataset_ref_exists.deny) == 0 with input as _snapshot({
		"lineage": {"training_data": [_ref("d", "1")], "evaluation_data": [_ref("e", "1")]},
		"evaluations": [{"metric": "auc", "value": 0.9, "dataset": _ref("e", "1")}, {"metric": "f1", "value": 0.8}],
		"retirement": {"retired_at": "2026-11-01T00:00:00Z", "data_deletion_certificates": [{"id": "c", "issued_at": "2026-11-01T00:00:00Z", "datasets": [_ref("d", "1")]}]},
	})
}

test_version_without_links_passes if {
	count(dataset_ref_exists.deny) == 0 with input as _snapshot({"lineage": {}})
}

test_missing_training_dataset_fails if {
	dataset_ref_exists.deny == {_missing("d@2")} with input as _snapshot({"lineage": {"training_data": [_ref("d", "1"), _ref("d", "2")]}})
}

test_missing_evaluation_dataset_fails if {
	dataset_ref_exists.deny == {_missing("x@1")} with input as _snapshot({"lineage": {"evaluation_data": [_ref("x", "1")]}})
}

test_missing_evaluation_result_dataset_fails if {
	dataset_ref_exists.deny == {_missing("x@1")} with input as _snapshot({"evaluations": [{"metric": "auc", "value": 0.9, "dataset": _ref("x", "1")}]})
}

test_missing_deletion_certificate_dataset_fails if {
	dataset_ref_exists.deny == {_missing("x@1")} with input as _snapshot({"retirement": {
		"retired_at": "2026-11-01T00:00:00Z",
		"data_deletion_certificates": [{"id": "c", "issued_at": "2026-11-01T00:00:00Z", "datasets": [_ref("x", "1")]}],
	}})
}

test_same_missing_dataset_linked_twice_is_one_finding if {
	dataset_ref_exists.deny == {_missing("x@1")} with input as _snapshot({
		"lineage": {"training_data": [_ref("x", "1")], "evaluation_data": [_ref("x", "1")]},
		"evaluations": [{"metric": "auc", "value": 0.9, "dataset": _ref("x", "1")}],
	})
}

test_two_missing_datasets_are_two_findings if {
	dataset_ref_exists.deny == {_missing("x@1"), _missing("y@1")} with input as _snapshot({"lineage": {"training_data": [_ref("x", "1"), _ref("y", "1")]}})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_retirement_and_evaluation_dataset_are_no_links if {
	count(dataset_ref_exists.deny) == 0 with input as _snapshot({"evaluations": [{"metric": "auc", "value": 0.9}]})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_links_under_null_lineage_fields_are_no_links if {
	count(dataset_ref_exists.deny) == 0 with input as _snapshot({"lineage": {}})
}
