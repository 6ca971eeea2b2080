# METADATA
# title: Stage approvals happen in order
# description: >-
#   Approvals follow the stage order set in data.almguard.config.approval.required_before
#   (default production: [staging]). A version that has an approval for a stage, or is deployed
#   with traffic_percent > 0 to the environment of that name, holds an approval for every
#   prerequisite stage, dated at or before its earliest approval for the later stage (the same
#   instant counts as before). A missing prerequisite approval and one dated after are distinct
#   messages; one finding per version, stage and prerequisite. A version deployed to production
#   without any production approval is checked for its prerequisites only (the missing
#   production approval is ALM-APPR-001's finding). Deployments naming an unknown version are
#   left to the registry rule.
# custom:
#   id: ALM-APPR-004
#   severity: medium
#   category: approval
#   remediation: >-
#     Pass the version through the earlier stage and record its approval before approving or
#     deploying the later stage; if approvals were recorded out of order, re-approve in order.
#   controls:
#     - "EU AI Act Art. 17"
#     - "ISO/IEC 42001 A.6.2.5"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 2"
#   alm_rule: Stage approvals happen in order (staging before production).
package almguard.rules.approval.stage_order

import rego.v1

import data.almguard.lib.snapshot

# A version reaches a stage when it is approved for it: then it needs an approval for each
# prerequisite, the earliest of them dated at or before its earliest approval for the stage.
# The earliest approval for the stage precedes every prerequisite approval exactly when some
# approval for the stage does, so each approval is judged on its own (approved_at is required).
deny contains finding if {
	some stage, prerequisites in data.almguard.config.approval.required_before
	prerequisites != []
	some id, entry in snapshot.versions_by_id
	approvals := entry.version.approvals
	some approval in approvals
	approval.stage == stage
	some prerequisite in prerequisites
	earlier := {data.almguard.lib.time.ns(other.approved_at) | some other in approvals; other.stage == prerequisite}
	finding := _approval_finding(id, approval, prerequisite, earlier)
}

# A version also reaches a stage when it is deployed with traffic to the environment of that
# name. Out of order needs an approval for the stage, so only a missing prerequisite is judged.
deny contains finding if {
	required_before := data.almguard.config.approval.required_before
	some serving in snapshot.serving_deployments
	stage := serving.deployment.environment
	some prerequisite in required_before[stage]
	not prerequisite in {approval.stage | some approval in object.get(serving.entry.version, "approvals", [])}
	finding := _missing(serving.entry.id, stage, prerequisite)
}

_approval_finding(id, approval, prerequisite, earlier) := _missing(id, approval.stage, prerequisite) if {
	count(earlier) == 0
} else := finding if {
	min(earlier) > data.almguard.lib.time.ns(approval.approved_at)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Version '%s' was approved for '%s' before it was approved for '%s'",
			[id, approval.stage, prerequisite],
		),
	}
}

_missing(id, stage, prerequisite) := {
	"resource": {"kind": "model_version", "id": id},
	"message": sprintf("Version '%s' reached '%s' without a '%s' approval", [id, stage, prerequisite]),
}
