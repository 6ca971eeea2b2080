# METADATA
# title: Deployments name a registered model version
# description: >-
#   Every deployment names a model and version that the registry has; otherwise nobody can
#   say what is being served or which data made it. The finding is on the deployment and
#   says whether the model itself or only that version is missing. It is reported whatever
#   the deployment's traffic share. The other rules skip such deployments (no cascade).
# custom:
#   id: ALM-REG-008
#   severity: critical
#   category: registry
#   lineage_evidence: true
#   remediation: >-
#     Register the served model version in the registry (with its lineage and evaluations),
#     or correct the deployment record to name the version actually served.
#   controls:
#     - "NIST AI RMF GOVERN 1.6"
#     - "ISO/IEC 42001 A.6.2.5"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 1"
#   alm_rule: A deployment names a model version that exists; a lineage link names a dataset version that exists.
package almguard.rules.registry.deployment_version_exists

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	models := snapshot.models_by_name
	some id, deployment in snapshot.deployments_by_id
	not models[deployment.model]
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf("Deployment '%s' names model '%s', which is not in the registry", [id, deployment.model]),
	}
}

deny contains finding if {
	models := snapshot.models_by_name
	versions := snapshot.versions_by_id
	some id, deployment in snapshot.deployments_by_id
	models[deployment.model]
	vid := sprintf("%s@%s", [deployment.model, deployment.version])
	not versions[vid]
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' names version '%s' of model '%s', which is not in the registry",
			[id, deployment.version, deployment.model],
		),
	}
}
