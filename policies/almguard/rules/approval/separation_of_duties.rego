# METADATA
# title: Versions are not approved by their creator
# description: >-
#   Separation of duties: no approval of a model version, for any stage, is given by the
#   person who created the version. approved_by and created_by are compared case-insensitively
#   (alice@contoso.com and Alice@Contoso.com are one person). Versions without created_by are
#   not checked (there is nothing to compare). One finding per version and approved stage.
# custom:
#   id: ALM-APPR-003
#   severity: high
#   category: approval
#   remediation: >-
#     Have someone other than the version's creator review and approve the stage, and record
#     that approval; remove or annotate the self-approval.
#   controls:
#     - "EU AI Act Art. 14"
#     - "EU AI Act Art. 17"
#     - "NIST AI RMF GOVERN 2.1"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 2"
#   alm_rule: The approver is not the version's creator (separation of duties).
package almguard.rules.approval.separation_of_duties

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, entry in snapshot.versions_by_id
	creator := entry.version.created_by
	is_string(creator)
	creator_lower := lower(creator)
	some approval in entry.version.approvals
	lower(approval.approved_by) == creator_lower
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Version '%s' was approved for '%s' by its own creator '%s'",
			[id, approval.stage, creator],
		),
	}
}
