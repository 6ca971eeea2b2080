package almguard.rules.retention.dataset_deletion_certificate_test

import rego.v1

import data.almguard.rules.retention.dataset_deletion_certificate as rule

_snapshot(dataset) := data.almguard.test.builder.snapshot({"datasets": [_loans(dataset)]})

# Dataset version loans@3 with the given fields.
_loans(fields) := data.almguard.test.builder.dataset(object.union({"name": "loans", "version": "3"}, fields))

_certificate := {
	"id": "DEL-1",
	"issued_at": "2026-03-02T00:00:00Z",
	"issued_by": "dpo@contoso.com",
	"method": "crypto-erase",
}

test_deleted_personal_data_with_certificate_passes if {
	dataset := {"personal_data": true, "deleted_at": "2026-03-01T00:00:00Z", "deletion_certificate": _certificate}
	count(rule.deny) == 0 with input as _snapshot(dataset)
}

test_deleted_personal_data_without_certificate_fails if {
	rule.deny == {{
		"resource": {"kind": "dataset", "id": "loans@3"},
		"message": "Personal-data dataset 'loans@3' was deleted without a deletion certificate",
	}} with input as _snapshot({"personal_data": true, "deleted_at": "2026-03-01T00:00:00Z"})
}

test_empty_certificate_fails if {
	dataset := {"personal_data": true, "deleted_at": "2026-03-01T00:00:00Z", "deletion_certificate": {}}
	count(rule.deny) == 1 with input as _snapshot(dataset)
}

test_deletion_exactly_now_fails if {
	count(rule.deny) == 1 with input as _snapshot({"personal_data": true, "deleted_at": "2026-11-20T08:00:00Z"})
}

test_deletion_after_now_is_not_judged if {
	count(rule.deny) == 0 with input as _snapshot({"personal_data": true, "deleted_at": "2026-11-20T08:00:01Z"})
}

test_dataset_not_deleted_passes if {
	count(rule.deny) == 0 with input as _snapshot({"personal_data": true})
}

test_deleted_dataset_without_personal_data_passes if {
	count(rule.deny) == 0 with input as _snapshot({"personal_data": false, "deleted_at": "2026-03-01T00:00:00Z"})
	count(rule.deny) == 0 with input as _snapshot({"deleted_at": "2026-03-01T00:00:00Z"})
}
