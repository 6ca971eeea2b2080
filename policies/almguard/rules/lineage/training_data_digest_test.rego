package almguard.rules.lineage.training_data_digest_test

import rego.v1

import data.almguard.rules.lineage.training_data_digest as rule

_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_snapshot(datasets, versions, deployments) := data.almguard.test.builder.snapshot({
	"datasets": datasets,
	"models": [data.almguard.test.builder.model({"versions": versions})],
	"deployments": deployments,
})

_trained_on(version, stage, refs) := data.almguard.test.builder.version({
	"version": version,
	"stage": stage,
	"lineage": {"training_data": [data.almguard.test.builder.ref(name, "1") | some name in refs]},
})

_serving(version) := data.almguard.test.builder.deployment({"version": version})

# Dataset d@1 with the fields given.
_d(fields) := data.almguard.test.builder.dataset(fields)

_undigested := {
	"resource": {"kind": "dataset", "id": "d@1"},
	"message": "Dataset version 'd@1' in the training-data lineage of a deployed or promoted model version has no content digest",
}

test_digested_training_data_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		[_d({"digest": _digest})],
		[_trained_on("1.0.0", "production", ["d"])],
		[_serving("1.0.0")],
	)
}

test_training_data_without_digest_fails_on_the_dataset if {
	rule.deny == {_undigested} with input as _snapshot(
		[_d({}), _d({"name": "e", "digest": _digest})],
		[_trained_on("1.0.0", "development", ["d", "e"])],
		[_serving("1.0.0")],
	)
}

test_malformed_digest_fails if {
	rule.deny == {{
		"resource": {"kind": "dataset", "id": "d@1"},
		"message": "Dataset version 'd@1' in the training-data lineage of a deployed or promoted model version has a content digest that does not match the digest pattern '^sha256:[0-9a-f]{64}$'",
	}} with input as _snapshot([_d({"digest": "sha1:abc"})], [_trained_on("1.0.0", "staging", ["d"])], [])
}

test_dataset_shared_by_two_versions_is_one_finding if {
	count(rule.deny) == 1 with input as _snapshot(
		[_d({})],
		[_trained_on("1.0.0", "production", ["d"]), _trained_on("1.1.0", "staging", ["d"])],
		[],
	)
}

test_undeployed_development_version_is_out_of_scope if {
	count(rule.deny) == 0 with input as _snapshot([_d({})], [_trained_on("1.0.0", "evaluation", ["d"])], [])
}

test_deployment_without_traffic_is_out_of_scope if {
	count(rule.deny) == 0 with input as _snapshot(
		[_d({})],
		[_trained_on("1.0.0", "development", ["d"])],
		[object.union(_serving("1.0.0"), {"traffic_percent": 0})],
	)
}

test_reference_to_missing_dataset_is_skipped if {
	count(rule.deny) == 0 with input as _snapshot([], [_trained_on("1.0.0", "production", ["d"])], [_serving("1.0.0")])
}

test_evaluation_data_is_out_of_scope if {
	count(rule.deny) == 0 with input as _snapshot(
		[_d({"digest": _digest}), _d({"name": "e"})],
		[{"version": "1.0.0", "stage": "production", "lineage": {
			"training_data": [{"dataset": "d", "version": "1"}],
			"evaluation_data": [{"dataset": "e", "version": "1"}],
		}}],
		[],
	)
}

test_digest_pattern_is_shared_registry_policy_data if {
	sha1 := _snapshot([_d({"digest": "sha1:abc"})], [_trained_on("1.0.0", "staging", ["d"])], [])
	count(rule.deny) == 0 with input as sha1
		with data.almguard.config.registry.digest_pattern as "^sha1:[0-9a-f]+$"
}

test_required_stages_is_policy_data if {
	count(rule.deny) == 1 with input as _snapshot([_d({})], [_trained_on("1.0.0", "evaluation", ["d"])], [])
		with data.almguard.config.lineage.required_stages as ["evaluation"]
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_digest_counts_as_missing if {
	rule.deny == {_undigested} with input as _snapshot([_d({})], [_trained_on("1.0.0", "staging", ["d"])], [])
}
