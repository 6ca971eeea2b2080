package almguard.lib.duplicates_test

import rego.v1

# One dataset, two models (one with two versions), two deployments: every id distinct.
_distinct := data.almguard.test.builder.snapshot({
	"datasets": [_dataset({}), _dataset({"version": "2"})],
	"models": [
		_model({"versions": [_version({}), _version({"version": "2.0.0"})]}),
		_model({"name": "n"}),
	],
	"deployments": [_deployment({}), _deployment({"endpoint": "other"})],
})

test_a_snapshot_without_repeats_has_none if {
	count(data.almguard.lib.duplicates.errors) == 0 with input as _distinct
	count(data.almguard.lib.schema.errors) == 0 with input as _distinct
}

# Each kind of entry repeated, with the paths of the errors: the schema's errors name the
# second entry (a repeated model repeats its versions' ids too).
_repeats := {
	"dataset": [
		object.union(_distinct, {"datasets": array.concat(_distinct.datasets, [_dataset({})])}),
		{"datasets[2]"},
	],
	"model": [
		object.union(_distinct, {"models": array.concat(_distinct.models, [_model({"name": "n"})])}),
		{"models[2]", "models[2].versions[0]"},
	],
	"model, its versions distinct": [
		object.union(_distinct, {"models": array.concat(
			_distinct.models,
			[_model({"name": "n", "versions": [_version({"version": "3"})]})],
		)}),
		{"models[2]"},
	],
	"version": [
		object.union(_distinct, {"models": [
			_model({"versions": [_version({}), _version({"version": "2.0.0"}), _version({})]}),
			_model({"name": "n"}),
		]}),
		{"models[0].versions[2]"},
	],
	"deployment": [
		object.union(_distinct, {"deployments": array.concat(_distinct.deployments, [_deployment({})])}),
		{"deployments[2]"},
	],
}

_dataset(fields) := data.almguard.test.builder.dataset(fields)

_model(fields) := data.almguard.test.builder.model(fields)

_version(fields) := data.almguard.test.builder.version(fields)

_deployment(fields) := data.almguard.test.builder.deployment(fields)

test_each_kind_that_repeats_an_id_is_found if {
	every case in _repeats {
		[snapshot, expected] := case
		paths := {error.path | some error in data.almguard.lib.schema.errors} with input as snapshot
		paths == expected
	}
}

test_a_name_shared_by_two_kinds_is_no_repeat if {
	# a model and a dataset may share a name, and two models a version number
	shared := object.union(_distinct, {"datasets": [_dataset({"name": "m"})]})
	count(data.almguard.lib.schema.errors) == 0 with input as shared
}
