# METADATA
# title: Deployed and promoted versions have training-data lineage
# description: >-
#   A model version that serves traffic outside production, or that is at a stage in
#   lineage.required_stages (staging and production by default) without serving any
#   traffic, records its training data (lineage.training_data, at least one dataset
#   version). Each deployment with a traffic share above 0 in a non-production environment
#   gets its own finding (on the deployment); a version at a required stage that serves no
#   traffic gets one finding on the model version. Serving production traffic is
#   ALM-LIN-001's (critical) business. Model types in lineage.training_lineage_exempt_types
#   (none by default) are exempt; deployments of a version the registry does not have are
#   skipped (ALM-REG-008). When a version records no lineage at all, this finding stands
#   alone: the preprocessing, training-job and base-model rules stay silent for it.
#   "No lineage at all" means no lineage object, or one whose fields are all absent,
#   null or empty.
# custom:
#   id: ALM-LIN-002
#   severity: high
#   category: lineage
#   remediation: >-
#     Record the dataset versions that trained the model version in its
#     lineage.training_data (registered datasets with digests) before promoting or
#     deploying it.
#   controls:
#     - "EU AI Act Art. 10"
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.7.5"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: A deployed version, or one at staging or production, has training-data lineage.
package almguard.rules.lineage.training_lineage

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	missing := data.almguard.lib.lineage.missing_training_lineage_ids
	some id, serving in snapshot.serving_deployments
	serving.deployment.environment != "production"
	vid := serving.entry.id
	vid in missing
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' serves %s traffic from model version '%s', which has no training-data lineage",
			[id, serving.deployment.environment, vid],
		),
	}
}

deny contains finding if {
	required_stages := data.almguard.config.lineage.required_stages
	some vid in data.almguard.lib.lineage.missing_training_lineage_ids
	entry := snapshot.versions_by_id[vid]
	entry.stage in required_stages
	not vid in snapshot.deployed_version_ids
	finding := {
		"resource": {"kind": "model_version", "id": vid},
		"message": sprintf("Model version '%s' at stage '%s' has no training-data lineage", [vid, entry.stage]),
	}
}
