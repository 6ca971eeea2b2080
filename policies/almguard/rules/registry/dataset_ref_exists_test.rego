package almguard.rules.registry.dataset_ref_exists_test

import rego.v1

import data.almguard.rules.registry.dataset_ref_exists as rule

_snapshot(version) := data.almguard.test.builder.snapshot({
	"datasets": [data.almguard.test.builder.dataset({}), data.almguard.test.builder.dataset({"name": "e"})],
	"models": [data.almguard.test.builder.model_with_version({}, version)],
})

_ref(name, version) := data.almguard.test.builder.ref(name, version)

# Version 1.0.0 trained on the given dataset versions.
_trained_on(refs) := _snapshot({"lineage": {"training_data": refs}})

_missing(dataset_id) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf(
		"Model version 'm@1.0.0' links to dataset version '%s', which is not in the registry",
		[dataset_id],
	),
}

test_links_to_registered_datasets_pass if {
	count(rule.deny) == 0 with input as _snapshot({
		"lineage": {"training_data": [_ref("d", "1")], "evaluation_data": [_ref("e", "1")]},
		"evaluations": [{"metric": "auc", "value": 0.9, "dataset": _ref("e", "1")}, {"metric": "f1", "value": 0.8}],
		"retirement": {
			"retired_at": "2026-11-01T00:00:00Z",
			"data_deletion_certificates": [{"id": "c", "issued_at": "2026-11-01T00:00:00Z", "datasets": [_ref("d", "1")]}],
		},
	})
}

test_version_without_links_passes if {
	count(rule.deny) == 0 with input as _snapshot({"lineage": {}})
}

test_missing_training_dataset_fails if {
	rule.deny == {_missing("d@2")} with input as _trained_on([_ref("d", "1"), _ref("d", "2")])
}

test_missing_evaluation_dataset_fails if {
	rule.deny == {_missing("x@1")} with input as _snapshot({"lineage": {"evaluation_data": [_ref("x", "1")]}})
}

test_missing_evaluation_result_dataset_fails if {
	version := {"evaluations": [{"metric": "auc", "value": 0.9, "dataset": _ref("x", "1")}]}
	rule.deny == {_missing("x@1")} with input as _snapshot(version)
}

test_missing_deletion_certificate_dataset_fails if {
	rule.deny == {_missing("x@1")} with input as _snapshot({"retirement": {
		"retired_at": "2026-11-01T00:00:00Z",
		"data_deletion_certificates": [{"id": "c", "issued_at": "2026-11-01T00:00:00Z", "datasets": [_ref("x", "1")]}],
	}})
}

test_same_missing_dataset_linked_twice_is_one_finding if {
	rule.deny == {_missing("x@1")} with input as _snapshot({
		"lineage": {"training_data": [_ref("x", "1")], "evaluation_data": [_ref("x", "1")]},
		"evaluations": [{"metric": "auc", "value": 0.9, "dataset": _ref("x", "1")}],
	})
}

test_two_missing_datasets_are_two_findings if {
	rule.deny == {_missing("x@1"), _missing("y@1")} with input as _trained_on([_ref("x", "1"), _ref("y", "1")])
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_retirement_and_evaluation_dataset_are_no_links if {
	count(rule.deny) == 0 with input as _snapshot({"evaluations": [{"metric": "auc", "value": 0.9}]})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_links_under_null_lineage_fields_are_no_links if {
	count(rule.deny) == 0 with input as _snapshot({"lineage": {}})
}
