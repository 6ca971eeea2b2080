# METADATA
# title: Production approval predates the production deployment
# description: >-
#   Every production deployment (environment production, traffic_percent > 0) of a version
#   that has a production approval has one with approved_at at or before the deployment's
#   deployed_at: the same instant counts as before, one second later does not. A deployment
#   without deployed_at cannot show that the approval came first, so it is a finding too (a
#   distinct message): the order must be provable. A version with no production approval at
#   all is ALM-APPR-001's finding and is skipped here, as are deployments naming an unknown
#   version.
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
#   alm_rule: A production deployment has a production approval dated before `deployed_at`.
package almguard.rules.approval.approved_before_deployment

import rego.v1

import data.almguard.lib.snapshot

# Production deployments that serve traffic, of versions that have a production approval.
_approved[id] := {"deployment": deployment, "entry": entry} if {
	some deployment in object.get(input, "deployments", [])
	deployment.environment == "production"
	deployment.traffic_percent > 0
	entry := snapshot.versions_by_id[sprintf("%s@%s", [deployment.model, deployment.version])]
	count(data.almguard.lib.approval.approvals_for(entry.version, "production")) > 0
	id := data.almguard.lib.snapshot.deployment_id(deployment)
}

deny contains finding if {
	some id, approved in _approved
	not data.almguard.lib.approval.has_time(approved.deployment, "deployed_at")
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' records no deployed_at, so its production approval cannot be shown to precede it",
			[id],
		),
	}
}

deny contains finding if {
	some id, approved in _approved
	data.almguard.lib.approval.has_time(approved.deployment, "deployed_at")
	deployed_ns := time.parse_rfc3339_ns(approved.deployment.deployed_at)
	every approved_ns in data.almguard.lib.approval.approval_times(approved.entry.version, "production") {
		approved_ns > deployed_ns
	}
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf("Deployment '%s' has no production approval dated at or before its deployed_at", [id]),
	}
}
