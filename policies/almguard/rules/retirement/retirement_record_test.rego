package almguard.rules.retirement.retirement_record_test

import rego.v1

import data.almguard.rules.retirement.retirement_record as rule

_record := {
	"retired_at": "2026-01-01T00:00:00Z",
	"reason": "superseded by 2.0.0",
	"record_uri": "https://records/m-1",
}

_snapshot(version) := data.almguard.test.builder.snapshot_with_version({}, version)

# A retired version with the given retirement record.
_retired(record) := _snapshot({"stage": "retired", "retirement": record})

_lacks(field) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf("Retirement record of version 'm@1.0.0' lacks '%s'", [field]),
}

test_retired_version_with_complete_record_passes if {
	count(rule.deny) == 0 with input as _retired(_record)
}

test_retired_version_without_record_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Version 'm@1.0.0' is retired but has no retirement record",
	}} with input as _snapshot({"stage": "retired"})
}

test_version_not_retired_without_record_passes if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "archived"})
}

test_record_without_reason_fails if {
	rule.deny == {_lacks("reason")} with input as _retired(object.remove(_record, ["reason"]))
}

test_record_with_empty_record_uri_fails if {
	record := object.union(_record, {"record_uri": ""})
	rule.deny == {_lacks("record_uri")} with input as _retired(record)
}

test_each_missing_field_is_its_own_finding if {
	record := object.remove(_record, ["reason", "record_uri"])
	rule.deny == {_lacks("reason"), _lacks("record_uri")} with input as _retired(record)
}

test_record_without_retired_at_fails if {
	rule.deny == {_lacks("retired_at")} with input as _retired(object.remove(_record, ["retired_at"]))
}

test_incomplete_record_on_version_of_other_stage_fails if {
	# A retirement object is a retirement record whatever the stage (e.g. a planned retirement).
	record := object.remove(_record, ["reason"])
	rule.deny == {_lacks("reason")} with input as _snapshot({"stage": "production", "retirement": record})
}

test_record_fields_override if {
	record := object.remove(_record, ["record_uri"])
	count(rule.deny) == 0 with input as _retired(record)
		with data.almguard.config.retirement.record_fields as ["retired_at", "reason"]
}

test_record_with_blank_reason_fails if {
	record := object.union(_record, {"reason": "   "})
	rule.deny == {_lacks("reason")} with input as _retired(record)
}
