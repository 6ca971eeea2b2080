# METADATA
# title: Evaluation data does not overlap training data
# description: >-
#   A result measured on data the model was trained on says nothing about how it generalises.
#   For every model version that records training data, no dataset version it was evaluated on
#   — listed in lineage.evaluation_data or as an evaluations[].dataset — may also appear in its
#   lineage.training_data. Dataset versions are compared by name@version; two versions of one
#   dataset are different data. One finding per version and overlapping dataset version,
#   whether it is named once or several times. A reference to a dataset version missing from
#   the registry still counts (its absence is the registry rule's finding).
# custom:
#   id: ALM-EVAL-003
#   severity: medium
#   category: evaluation
#   remediation: >-
#     Evaluate the version on a held-out dataset version that did not train it, record that
#     dataset in lineage.evaluation_data and on the evaluations, and re-run the evaluation gate.
#   controls:
#     - "EU AI Act Art. 10"
#     - "NIST AI RMF MEASURE 2.1"
#     - "ISO/IEC 42001 A.7.4"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: Evaluation data does not overlap training data.
package almguard.rules.evaluation.data_separation

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, links in snapshot.dataset_links
	some dataset_id in links.evaluation
	links.training[dataset_id]
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Version '%s' is evaluated on dataset '%s', which also trained it",
			[id, dataset_id],
		),
	}
}
