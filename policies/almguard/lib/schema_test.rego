package almguard.lib.schema_test

import rego.v1

# A snapshot that records every kind of entry, so that each has its errors found.
_version := {
	"stage": "production",
	"artifact": {"digest": "sha256:x"},
	"lineage": {
		"training_data": [data.almguard.test.builder.ref("d", "1")],
		"preprocessing": [{"name": "clean"}],
		"training_job": {"id": "j"},
		"base_model": {"name": "b"},
	},
	"evaluations": [{"metric": "auc", "value": 0.9, "dataset": data.almguard.test.builder.ref("d", "1")}],
	"approvals": [{"stage": "production", "approved_by": "a", "approved_at": "2026-11-01T00:00:00Z"}],
	"retirement": {
		"retired_at": "2026-11-10T00:00:00Z",
		"data_deletion_certificates": [{"id": "c", "datasets": [data.almguard.test.builder.ref("d", "1")]}],
	},
}

_deployment := {
	"endpoint": "e",
	"content_safety": {"enabled": true, "filters": ["hate"]},
	"monitoring": {"baseline_metrics": {"auc": 0.9}},
	"rollout": [{"traffic_percent": 100, "at": "2026-11-02T00:00:00Z"}],
}

# That snapshot with its parts overlaid (object.union): the top level, the one version, the
# one deployment.
_doc(top, version, deployment) := object.union(
	data.almguard.test.builder.snapshot({
		"datasets": [data.almguard.test.builder.dataset({"deletion_certificate": {"id": "c"}})],
		"models": [data.almguard.test.builder.model_with_version({"risk_tier": "high"}, object.union(_version, version))],
		"deployments": [data.almguard.test.builder.deployment(object.union(_deployment, deployment))],
	}),
	top,
)

_paths(errors) := {e.path | some e in errors}

test_a_valid_snapshot_has_no_errors if {
	count(data.almguard.lib.schema.errors) == 0 with input as _doc({}, {}, {})
}

test_missing_clock_in_the_registry_object if {
	doc := object.union(_doc({}, {}, {}), {"registry": {"name": "r"}})
	errors := data.almguard.lib.schema.errors with input as json.remove(doc, ["registry/captured_at"])
	_paths(errors) == {"registry.captured_at"}
}

test_zoneless_or_impossible_times_are_errors if {
	zoneless := data.almguard.lib.schema.errors
		with input as _doc({"registry": {"captured_at": "2026-11-20T08:00:00"}}, {}, {})
	_paths(zoneless) == {"registry.captured_at"}
	impossible := data.almguard.lib.schema.errors
		with input as _doc({}, {}, {"rollout": [{"traffic_percent": 100, "at": "2026-02-30T00:00:00Z"}]})
	_paths(impossible) == {"deployments[0].rollout[0].at"}
}

test_wrong_types_name_their_path if {
	errors := data.almguard.lib.schema.errors with input as _doc(
		{},
		{"version": 3, "evaluations": [{"metric": "auc", "value": "high"}]},
		{"traffic_percent": 101},
	)
	_paths(errors) == {
		"models[0].versions[0].version",
		"deployments[0].traffic_percent",
		"models[0].versions[0].evaluations[0].value",
	}
}

test_a_list_given_as_a_mapping_is_an_error if {
	errors := data.almguard.lib.schema.errors with input as object.union(_doc({}, {}, {}), {"deployments": {"a": {}}})
	errors == {{"path": "deployments", "message": "must be a list"}}
}

test_unknown_schema_version_is_an_error if {
	errors := data.almguard.lib.schema.errors with input as _doc({"schema_version": 2}, {}, {})
	_paths(errors) == {"schema_version"}
}

test_unknown_null_and_nested_fields_are_errors if {
	errors := data.almguard.lib.schema.errors with input as _doc(
		{"datasets": [{"name": "d", "version": "1", "deletion_certificate": {"id": "c", "when": "x"}}]},
		{
			"lineage": {"trainng_data": []},
			"artifact": null,
			"evaluations": [{"metric": "auc", "value": 1, "dataset": {"dataset": "d", "version": "1", "name": "d"}}],
			"retirement": {"data_deletion_certificates": [{
				"id": "c",
				"datasets": [{"dataset": "d", "version": "1", "extra": 1}],
			}]},
		},
		{},
	)
	_paths(errors) == {
		"models[0].versions[0].lineage.trainng_data",
		"models[0].versions[0].artifact",
		"datasets[0].deletion_certificate.when",
		"models[0].versions[0].retirement.data_deletion_certificates[0].datasets[0].extra",
		"models[0].versions[0].evaluations[0].dataset.name",
	}
}

test_enumerations_and_tags_are_checked if {
	deployment := {"content_safety": {"filters": [1]}, "monitoring": {"baseline_metrics": {"auc": "x"}}}
	doc := _doc({}, {"stage": "live"}, deployment)
	untagged := object.union(doc, {"models": [{"name": "m", "risk_tier": "extreme", "tags": {"a": 1}}]})
	errors := data.almguard.lib.schema.errors with input as untagged
	_paths(errors) == {
		"models[0].risk_tier",
		"models[0].tags",
		"deployments[0].content_safety.filters",
		"deployments[0].monitoring.baseline_metrics",
	}
}

test_duplicate_ids_name_the_second_entry if {
	twice := _doc({"datasets": [{"name": "d", "version": "1"}, {"name": "d", "version": "1"}]}, {}, {})
	duplicate := {"path": "datasets[1]", "message": "duplicate dataset version 'd@1': each must appear once"}
	data.almguard.lib.schema.errors == {duplicate} with input as twice
}

test_a_document_that_is_not_a_mapping_is_an_error if {
	count(data.almguard.lib.schema.errors) == 1 with input as [1, 2]
	count(data.almguard.lib.schema.errors) > 0 with input as {"schema_version": 1, "registry": "r", "models": [1]}
}

test_ordered_puts_unknown_fields_first if {
	errors := {{"path": "a", "message": "required field missing"}, {"path": "b", "message": "unknown field"}}
	data.almguard.lib.schema.ordered(errors) == [
		{"path": "b", "message": "unknown field"},
		{"path": "a", "message": "required field missing"},
	]
}
