# METADATA
# title: Lineage links name a registered dataset version
# description: >-
#   Every dataset reference of a model version (lineage.training_data,
#   lineage.evaluation_data, evaluations[].dataset and
#   retirement.data_deletion_certificates[].datasets) names a dataset version the registry
#   has. One finding per model version and missing dataset version, however many links
#   name it. The other rules skip references to missing datasets (no cascade).
# custom:
#   id: ALM-REG-009
#   severity: high
#   category: registry
#   lineage_evidence: true
#   remediation: >-
#     Register the referenced dataset version (with its digest) in the registry, or correct
#     the reference to name the dataset version actually used.
#   controls:
#     - "EU AI Act Art. 10"
#     - "ISO/IEC 42001 A.7.5"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: A deployment names a model version that exists; a lineage link names a dataset version that exists.
package almguard.rules.registry.dataset_ref_exists

import rego.v1

import data.almguard.lib.snapshot

# Links of the lineage and of the evaluation results ...
deny contains finding if {
	datasets := snapshot.datasets_by_id
	some id, links in snapshot.dataset_links
	some dataset_id in (links.training | links.evaluation)
	not datasets[dataset_id]
	finding := _finding(id, dataset_id)
}

# ... and of the data deletion certificates of a retirement record.
deny contains finding if {
	datasets := snapshot.datasets_by_id
	some id, retired in snapshot.retirements
	some certificate in object.get(retired.retirement, "data_deletion_certificates", [])
	some ref in object.get(certificate, "datasets", [])
	dataset_id := data.almguard.lib.snapshot.dataset_ref_id(ref)
	not datasets[dataset_id]
	finding := _finding(id, dataset_id)
}

_finding(id, dataset_id) := {
	"resource": {"kind": "model_version", "id": id},
	"message": sprintf("Model version '%s' links to dataset version '%s', which is not in the registry", [id, dataset_id]),
}
