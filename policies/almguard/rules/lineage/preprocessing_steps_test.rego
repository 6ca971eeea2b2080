package almguard.rules.lineage.preprocessing_steps_test

import rego.v1

import data.almguard.rules.lineage.preprocessing_steps as rule

_snapshot(type, version, deployments) := data.almguard.test.builder.snapshot({
	"datasets": [data.almguard.test.builder.dataset({})],
	"models": [data.almguard.test.builder.model_with_version({"type": type}, version)],
	"deployments": deployments,
})

# A version at the stage with training data and no preprocessing steps.
_trained(type, stage, deployments) := _snapshot(
	type,
	{"stage": stage, "lineage": {"training_data": _training}},
	deployments,
)

_training := [data.almguard.test.builder.ref("d", "1")]

_serving := data.almguard.test.builder.deployment({})

_no_steps := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Production model version 'm@1.0.0' records no preprocessing steps",
}

test_production_version_with_referenced_steps_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		"custom", {"stage": "production", "lineage": {
			"training_data": _training,
			"preprocessing": [
				{"name": "clean", "code_ref": "git+https://x/repo@abc"},
				{"name": "scale", "code_ref": "repo#features.py"},
			],
		}},
		[],
	)
}

test_production_version_without_steps_fails if {
	rule.deny == {_no_steps} with input as _trained("custom", "production", [])
}

test_empty_step_list_fails if {
	version := {"stage": "production", "lineage": {"training_data": _training, "preprocessing": []}}
	rule.deny == {_no_steps} with input as _snapshot("fine_tuned", version, [])
}

test_steps_without_code_reference_fail if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Production model version 'm@1.0.0' records preprocessing steps without a code reference: 'encode', 'scale'",
	}} with input as _snapshot(
		"custom", {"stage": "production", "lineage": {
			"training_data": _training,
			"preprocessing": [
				{"name": "scale", "digest": "sha256:x"},
				{"name": "clean", "code_ref": "repo@abc"},
				{"name": "encode", "code_ref": " "},
			],
		}},
		[],
	)
}

test_staging_version_needs_no_steps if {
	count(rule.deny) == 0 with input as _trained("custom", "staging", [])
}

test_version_serving_production_traffic_needs_steps_whatever_its_stage if {
	rule.deny == {_no_steps} with input as _trained("custom", "staging", [_serving])
}

test_agents_and_foundation_models_are_exempt if {
	count(rule.deny) == 0 with input as _trained("agent", "production", [])
	count(rule.deny) == 0 with input as _trained("foundation", "production", [])
}

test_model_without_type_is_not_exempt if {
	version := {"stage": "production", "lineage": {"base_model": {"name": "b"}}}
	model := data.almguard.test.builder.model_with_version({}, version)
	rule.deny == {_no_steps} with input as data.almguard.test.builder.snapshot({"models": [model]})
}

test_version_without_any_lineage_is_left_to_training_lineage_rule if {
	count(rule.deny) == 0 with input as _snapshot("custom", {"stage": "production"}, [_serving])
}

test_empty_lineage_object_counts_as_no_lineage if {
	count(rule.deny) == 0 with input as _snapshot("custom", {"stage": "production", "lineage": {}}, [])
}

test_lineage_without_training_data_and_steps_reports_both_gaps if {
	version := {"stage": "production", "lineage": {"training_job": {"id": "j"}}}
	rule.deny == {_no_steps} with input as _snapshot("custom", version, [_serving])
}

test_no_lineage_still_reported_when_training_lineage_rule_is_silent if {
	# the type is exempt from training lineage, so no other rule reports the missing lineage
	rule.deny == {_no_steps} with input as _snapshot("custom", {"stage": "production"}, [])
		with data.almguard.config.lineage.training_lineage_exempt_types as ["custom"]
}

test_production_stages_is_policy_data if {
	rule.deny == {_no_steps} with input as _trained("custom", "staging", [])
		with data.almguard.config.lineage.production_stages as ["staging", "production"]
}

test_provenance_exempt_types_is_policy_data if {
	rule.deny == {_no_steps} with input as _trained("agent", "production", [])
		with data.almguard.config.lineage.provenance_exempt_types as []
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_is_left_to_training_lineage_rule if {
	count(rule.deny) == 0 with input as _snapshot("custom", {"stage": "production"}, [])
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_lineage_of_only_nulls_and_empty_lists_counts_as_no_lineage if {
	count(rule.deny) == 0 with input as _snapshot(
		"custom", {"stage": "production", "lineage": {
			"training_data": [],
			"preprocessing": [],
		}},
		[],
	)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_code_ref_counts_as_missing if {
	count(rule.deny) == 1 with input as _snapshot(
		"custom", {"stage": "production", "lineage": {
			"training_data": _training,
			"preprocessing": [{"name": "scale"}],
		}},
		[],
	)
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_model_type_is_not_exempt if {
	snapshot := _trained("custom", "production", [])
	untyped := object.union(snapshot, {"models": [object.remove(snapshot.models[0], ["type"])]})
	rule.deny == {_no_steps} with input as untyped
}
