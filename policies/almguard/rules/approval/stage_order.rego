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
#   alm_rule: Stage approvals happen in order (staging before production).
package almguard.rules.approval.stage_order

import rego.v1

import data.almguard.lib.snapshot

# Stages each version has reached: approved for them, or deployed with traffic to them.
_reached[id] contains stage if {
	some id, entry in snapshot.versions_by_id
	some approval in object.get(entry.version, "approvals", [])
	stage := approval.stage
}

_reached[id] contains deployment.environment if {
	some deployment in object.get(input, "deployments", [])
	deployment.traffic_percent > 0
	id := sprintf("%s@%s", [deployment.model, deployment.version])
	snapshot.versions_by_id[id]
}

deny contains finding if {
	some id, stages in _reached
	some stage in stages
	some prerequisite in object.get(data.almguard.config.approval.required_before, stage, [])
	entry := snapshot.versions_by_id[id]
	count(data.almguard.lib.approval.approvals_for(entry.version, prerequisite)) == 0
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Version '%s' reached '%s' without a '%s' approval", [id, stage, prerequisite]),
	}
}

deny contains finding if {
	some id, stages in _reached
	some stage in stages
	some prerequisite in object.get(data.almguard.config.approval.required_before, stage, [])
	entry := snapshot.versions_by_id[id]
	later := data.almguard.lib.approval.approval_times(entry.version, stage)
	earlier := data.almguard.lib.approval.approval_times(entry.version, prerequisite)
	count(later) > 0
	count(earlier) > 0
	min(earlier) > min(later)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Version '%s' was approved for '%s' before it was approved for '%s'", [id, stage, prerequisite]),
	}
}
