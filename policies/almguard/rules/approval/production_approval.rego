# METADATA
# title: Production versions are approved for production
# description: >-
#   A version that serves production traffic (a deployment with environment production and
#   traffic_percent > 0) has at least one approval with stage production. One finding per
#   version, however many production endpoints serve it. Whether the approval predates each
#   deployment is ALM-APPR-002's business; deployments naming an unknown version are left to
#   the registry rule.
# custom:
#   id: ALM-APPR-001
#   severity: critical
#   category: approval
#   remediation: >-
#     Take the version out of production traffic, or have an accountable approver (not its
#     creator) sign off the production stage and record it under approvals (stage production,
#     approved_by, approved_at).
#   controls:
#     - "EU AI Act Art. 14"
#     - "EU AI Act Art. 17"
#     - "NIST AI RMF GOVERN 2.1"
#     - "ISO/IEC 42001 A.6.2.5"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 2"
#   alm_rule: A production deployment has a production approval dated before `deployed_at`.
package almguard.rules.approval.production_approval

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	versions := snapshot.versions_by_id
	some id in snapshot.production_version_ids
	entry := versions[id]
	not data.almguard.lib.approval.approved_for(entry.version, "production")
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Version '%s' serves production traffic without a production approval", [id]),
	}
}
