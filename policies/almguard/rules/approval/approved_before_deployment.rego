# METADATA
# title: Production approval predates the production deployment
# description: >-
#   Every production deployment (environment production, traffic_percent > 0) of a version
#   that has a production approval has one with approved_at at or before the deployment's
#   deployed_at: the same instant counts as before, one second later does not. A deployment
#   without deployed_at cannot show that the approval came first, so it is a finding too (a
#   distinct message): the order must be provable. A version with no production approval at
#   all is ALM-APPR-001's finding and is skipped here, as are deployments naming an unknown
#   version. The message names the deployed_at and the earliest production approval's
#   approved_at.
# custom:
#   id: ALM-APPR-002
#   severity: high
#   category: approval
#   remediation: >-
#     Record deployed_at on the deployment; approve the production stage before deploying, and
#     if the version went live before its approval, document the gap and re-approve or roll
#     back.
#   controls:
#     - "EU AI Act Art. 12"
#     - "EU AI Act Art. 17"
#     - "ISO/IEC 42001 A.6.2.5"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 2"
#   alm_rule: A production deployment has a production approval dated before `deployed_at`.
package almguard.rules.approval.approved_before_deployment

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, serving in snapshot.serving_deployments
	serving.deployment.environment == "production"
	data.almguard.lib.approval.approved_for(serving.entry.version, "production")
	finding := _finding(id, serving)
}

_finding(id, serving) := {
	"resource": {"kind": "deployment", "id": id},
	"message": sprintf(
		"Deployment '%s' records no deployed_at, so its production approval cannot be shown to precede it",
		[id],
	),
} if {
	not data.almguard.lib.approval.has_time(serving.deployment, "deployed_at")
} else := {
	"resource": {"kind": "deployment", "id": id},
	"message": sprintf(
		"Deployment '%s' went live at %s (deployed_at), before its earliest production approval at %s",
		[id, serving.deployment.deployed_at, _earliest_approval(serving.entry.version)],
	),
} if {
	deployed_ns := data.almguard.lib.time.ns(serving.deployment.deployed_at)
	every approved_ns in data.almguard.lib.approval.times(serving.entry.version, "production") {
		approved_ns > deployed_ns
	}
}

# The approved_at of the version's earliest production approval, as recorded (of equal
# instants written in different offsets, the first in text order).
_earliest_approval(version) := sort(times)[0] if {
	first := min(data.almguard.lib.approval.times(version, "production"))
	times := [approval.approved_at |
		some approval in version.approvals
		approval.stage == "production"
		data.almguard.lib.time.ns(approval.approved_at) == first
	]
}
