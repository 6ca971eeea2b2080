package almguard.rules.retention.version_data_deletion_certificate_test

import rego.v1

import data.almguard.rules.retention.version_data_deletion_certificate as rule

_datasets := [
	{"name": "loans", "version": "3", "personal_data": true, "deleted_at": "2026-03-01T00:00:00Z"},
	{"name": "bureau", "version": "1", "personal_data": true, "deleted_at": "2026-03-01T00:00:00Z"},
	{"name": "rates", "version": "1", "deleted_at": "2026-03-01T00:00:00Z"},
	{"name": "kept", "version": "1", "personal_data": true},
	{"name": "later", "version": "1", "personal_data": true, "deleted_at": "2026-11-20T08:00:01Z"},
	{"name": "now", "version": "1", "personal_data": true, "deleted_at": "2026-11-20T08:00:00Z"},
]

_ref(name, version) := data.almguard.test.builder.ref(name, version)

_snapshot(version) := data.almguard.test.builder.snapshot({
	"datasets": _datasets,
	"models": [data.almguard.test.builder.model_with_version({}, version)],
})

_trained_on(refs) := {"lineage": {"training_data": refs}}

_retirement(certificates) := {"retirement": {
	"retired_at": "2026-01-01T00:00:00Z",
	"reason": "superseded",
	"record_uri": "https://records/m-1",
	"data_deletion_certificates": certificates,
}}

_missing(dataset_id) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf(
		"Retired version 'm@1.0.0' has no data deletion certificate for its deleted personal-data training dataset '%s'",
		[dataset_id],
	),
}

test_certified_deletion_passes if {
	version := object.union(
		_trained_on([_ref("loans", "3")]),
		_retirement([{"id": "DEL-1", "issued_at": "2026-03-02T00:00:00Z", "datasets": [_ref("loans", "3")]}]),
	)
	count(rule.deny) == 0 with input as _snapshot(version)
}

test_uncertified_deletion_fails if {
	version := object.union(_trained_on([_ref("loans", "3")]), _retirement([]))
	rule.deny == {_missing("loans@3")} with input as _snapshot(version)
}

test_one_finding_per_uncertified_dataset if {
	version := object.union(
		_trained_on([_ref("loans", "3"), _ref("bureau", "1"), _ref("rates", "1")]),
		_retirement([{"id": "DEL-1", "issued_at": "2026-03-02T00:00:00Z", "datasets": [_ref("bureau", "2")]}]),
	)
	rule.deny == {_missing("loans@3"), _missing("bureau@1")} with input as _snapshot(version)
}

test_certificate_for_another_dataset_version_does_not_count if {
	version := object.union(
		_trained_on([_ref("loans", "3")]),
		_retirement([{"id": "DEL-1", "issued_at": "2026-03-02T00:00:00Z", "datasets": [_ref("loans", "2")]}]),
	)
	rule.deny == {_missing("loans@3")} with input as _snapshot(version)
}

test_retired_stage_without_retirement_object_is_judged if {
	version := object.union(_trained_on([_ref("loans", "3")]), {"stage": "retired"})
	rule.deny == {_missing("loans@3")} with input as _snapshot(version)
}

test_version_not_retired_is_not_judged if {
	version := object.union(_trained_on([_ref("loans", "3")]), {"stage": "production"})
	count(rule.deny) == 0 with input as _snapshot(version)
}

test_data_not_yet_deleted_passes if {
	version := object.union(_trained_on([_ref("kept", "1"), _ref("later", "1")]), _retirement([]))
	count(rule.deny) == 0 with input as _snapshot(version)
}

test_data_deleted_exactly_now_fails if {
	version := object.union(_trained_on([_ref("now", "1")]), _retirement([]))
	rule.deny == {_missing("now@1")} with input as _snapshot(version)
}

test_non_personal_data_passes if {
	version := object.union(_trained_on([_ref("rates", "1")]), _retirement([]))
	count(rule.deny) == 0 with input as _snapshot(version)
}

test_missing_dataset_is_skipped if {
	version := object.union(_trained_on([_ref("ghost", "1")]), _retirement([]))
	count(rule.deny) == 0 with input as _snapshot(version)
}

test_missing_certificates_list_and_lineage_are_handled if {
	version := {"stage": "retired"}
	count(rule.deny) == 0 with input as _snapshot(version)
	retirement := {"retirement": {"retired_at": "2026-01-01T00:00:00Z"}}
	rule.deny == {_missing("loans@3")} with input as _snapshot(object.union(_trained_on([_ref("loans", "3")]), retirement))
}
