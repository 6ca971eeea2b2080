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
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: Every dataset version in that lineage has a content digest.
package almguard.rules.lineage.training_data_digest

import rego.v1

import data.almguard.lib.snapshot

# The registered dataset versions in the training data of versions that must have lineage.
deny contains finding if {
	links := snapshot.dataset_links
	datasets := snapshot.datasets_by_id
	some vid in data.almguard.lib.lineage.required_ids
	some dataset_id in links[vid].training
	dataset := datasets[dataset_id]
	not data.almguard.lib.registry.valid_digest(object.get(dataset, "digest", null))
	finding := _finding(dataset_id, dataset)
}

_finding(dataset_id, dataset) := {
	"resource": {"kind": "dataset", "id": dataset_id},
	"message": sprintf(
		"Dataset version '%s' in the training-data lineage of a deployed or promoted model version has no content digest",
		[dataset_id],
	),
} if {
	object.get(dataset, "digest", null) == null
} else := {
	"resource": {"kind": "dataset", "id": dataset_id},
	"message": sprintf(
		"Dataset version '%s' in the training-data lineage of a deployed or promoted model version has a content digest that does not match the digest pattern '%s'",
		[dataset_id, data.almguard.config.registry.digest_pattern],
	),
}
