# METADATA
# title: Production traffic is served by versions with training-data lineage
# description: >-
#   The audit question "what training data was used for the model currently serving
#   customers?" must have an answer: a deployment in the production environment with a
#   traffic share above 0 serves a model version that records its training data
#   (lineage.training_data, at least one dataset version). One finding per serving
#   deployment, on the deployment, so the report names the endpoint; a version that serves
#   two production endpoints gives two findings and no model_version finding. Versions that
#   need lineage but serve no production traffic are ALM-LIN-002's business. Model types in
#   lineage.training_lineage_exempt_types (none by default) are exempt. Deployments of a
#   version the registry does not have are skipped (ALM-REG-008). When a version records no
#   lineage at all, this finding stands alone: the preprocessing, training-job and
#   base-model rules stay silent for it.
#   "No lineage at all" means no lineage object, or one whose fields are all absent,
#   null or empty.
# custom:
#   id: ALM-LIN-001
#   severity: critical
#   category: lineage
#   remediation: >-
#     Record the dataset versions that trained the served model version in its
#     lineage.training_data (registered datasets with digests), or take the version out of
#     production until its training data is known.
#   controls:
#     - "EU AI Act Art. 10"
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.7.5"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: A deployed version, or one at staging or production, has training-data lineage.
package almguard.rules.lineage.serving_training_lineage

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	missing := data.almguard.lib.lineage.missing_training_lineage_ids
	some id, serving in snapshot.serving_deployments
	serving.deployment.environment == "production"
	vid := serving.entry.id
	vid in missing
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' serves production traffic from model version '%s', which has no training-data lineage",
			[id, vid],
		),
	}
}
