# METADATA
# title: Training datasets of deployed and promoted versions have content digests
# description: >-
#   Every dataset version in the training-data lineage of a version that must have lineage
#   (one that serves traffic, or is at a stage in lineage.required_stages) records a content
#   digest in the accepted form (registry.digest_pattern, sha256:<64 hex> by default): the
#   digest is what makes "trained on loan-applications@3" verifiable. One finding per
#   dataset version, on the dataset, however many versions it trained. References to
#   dataset versions the registry does not have are skipped (ALM-REG-009). Evaluation data
#   is not in scope.
# custom:
#   id: ALM-LIN-003
#   severity: high
#   category: lineage
#   remediation: >-
#     Compute the content digest of the dataset version's data and record it (sha256:<64
#     hex>) in the dataset's digest, so that the training data can be verified as unchanged.
#   controls:
#     - "EU AI Act Art. 10"
#     - "ISO/IEC 42001 A.7.5"
#   alm_rule: Every dataset version in that lineage has a content digest.
package almguard.rules.lineage.training_data_digest

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some dataset_id, dataset in _lineage_datasets
	data.almguard.lib.registry.field(dataset, "digest", null) == null
	finding := {
		"resource": {"kind": "dataset", "id": dataset_id},
		"message": sprintf("Dataset version '%s' in the training-data lineage of a deployed or promoted model version has no content digest", [dataset_id]),
	}
}

deny contains finding if {
	some dataset_id, dataset in _lineage_datasets
	digest := data.almguard.lib.registry.field(dataset, "digest", null)
	digest != null
	not data.almguard.lib.registry.valid_digest(digest)
	finding := {
		"resource": {"kind": "dataset", "id": dataset_id},
		"message": sprintf("Dataset version '%s' in the training-data lineage of a deployed or promoted model version has a content digest that does not match the digest pattern '%s'", [dataset_id, data.almguard.config.registry.digest_pattern]),
	}
}

# The registered dataset versions in the training lineage of versions that must have lineage.
_lineage_datasets[dataset_id] := dataset if {
	some vid, entry in snapshot.versions_by_id
	data.almguard.lib.lineage.lineage_required(vid, entry)
	some ref in data.almguard.lib.lineage.training_refs(entry.version)
	dataset_id := data.almguard.lib.snapshot.dataset_ref_id(ref)
	dataset := snapshot.datasets_by_id[dataset_id]
}
