# METADATA
# title: Retired versions have a retirement record
# description: >-
#   A version at stage retired must have a retirement object, and every retirement object
#   (whatever the version's stage, including a retirement planned for later) must carry each
#   field of record_fields (retired_at, reason, record_uri) with a non-empty value. A retired
#   version without any retirement object is one finding; a record lacking fields gives one
#   finding per missing field.
# custom:
#   id: ALM-RETIRE-001
#   severity: medium
#   category: retirement
#   remediation: >-
#     Record the retirement on the version: when it was retired (retired_at), why (reason), and
#     where the retirement record with the decision and its approvals is kept (record_uri).
#   controls:
#     - "NIST AI RMF GOVERN 1.7"
#     - "SR 11-7 §VI"
#   alm_rule: Retired versions have a retirement record (retired_at, reason, record_uri).
package almguard.rules.retirement.retirement_record

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id in snapshot.versions_at_stage.retired
	not snapshot.versions_by_id[id].version.retirement
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Version '%s' is retired but has no retirement record", [id]),
	}
}

deny contains finding if {
	record_fields := data.almguard.config.retirement.record_fields
	some id, retired in snapshot.retirements
	some field in record_fields
	not _recorded(object.get(retired.retirement, field, ""))
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Retirement record of version '%s' lacks '%s'", [id, field]),
	}
}

# A record field counts when it holds non-blank text.
_recorded(value) if data.almguard.lib.text.present(value)
