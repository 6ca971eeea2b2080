package almguard.rules.lineage.base_model_test

import rego.v1

import data.almguard.rules.lineage.base_model

_snapshot(type, version) := data.almguard.test.builder.snapshot_with_version({"type": type}, version)

# A fine-tuned version whose lineage names the given base model.
_based_on(base) := _snapshot("fine_tuned", {"lineage": {"base_model": base}})

_unnamed := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Model version 'm@1.0.0' does not name its base model",
}

_unversioned := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": "Model version 'm@1.0.0' names base model 'gpt-4o-mini' without its version",
}

test_fine_tuned_version_naming_base_model_passes if {
	count(base_model.deny) == 0 with input as _based_on({"name": "gpt-4o-mini", "version": "2024-07-18"})
}

test_fine_tuned_version_without_base_model_fails if {
	version := {"stage": "evaluation", "lineage": {"training_data": []}}
	base_model.deny == {_unnamed} with input as _snapshot("fine_tuned", version)
}

test_base_model_without_name_fails if {
	base_model.deny == {_unnamed} with input as _based_on({"name": " ", "version": "1"})
}

test_base_model_without_version_fails if {
	base_model.deny == {_unversioned} with input as _based_on({"name": "gpt-4o-mini"})
}

test_base_model_version_required_is_policy_data if {
	count(base_model.deny) == 0 with input as _based_on({"name": "gpt-4o-mini"})
		with data.almguard.config.lineage.base_model_version_required as false
}

test_custom_model_needs_no_base_model if {
	version := {"stage": "production", "lineage": {"training_data": []}}
	count(base_model.deny) == 0 with input as _snapshot("custom", version)
}

test_model_without_type_needs_no_base_model if {
	untyped := data.almguard.test.builder.snapshot({"models": [data.almguard.test.builder.model({})]})
	count(base_model.deny) == 0 with input as untyped
}

test_development_version_without_lineage_fails if {
	# no training-lineage finding covers an undeployed development version
	base_model.deny == {_unnamed} with input as _snapshot("fine_tuned", {})
}

test_production_version_without_any_lineage_is_left_to_training_lineage_rule if {
	count(base_model.deny) == 0 with input as _snapshot("fine_tuned", {"stage": "production"})
}

test_base_model_types_is_policy_data if {
	base_model.deny == {_unnamed} with input as _snapshot("agent", {"lineage": {"training_data": []}})
		with data.almguard.config.lineage.base_model_types as ["fine_tuned", "agent"]
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_base_model_counts_as_missing if {
	base_model.deny == {_unnamed} with input as _snapshot("fine_tuned", {"lineage": {"training_data": []}})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_base_model_version_counts_as_missing if {
	base_model.deny == {_unversioned} with input as _based_on({"name": "gpt-4o-mini"})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_lineage_of_development_version_fails if {
	base_model.deny == {_unnamed} with input as _snapshot("fine_tuned", {})
}
