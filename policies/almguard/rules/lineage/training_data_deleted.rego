# METADATA
# title: Training data of serving versions has not been deleted
# description: >-
#   A model version that serves traffic (a deployment with a traffic share above 0, any
#   environment) still has its training data: no dataset version in its
#   lineage.training_data has a deleted_at at or before now (registry.captured_at). A
#   deletion at exactly the capture instant counts as done; one scheduled after it does not
#   (yet). Deleted data leaves the served model unreproducible and, for personal data, may
#   mean the model still embodies data that had to be erased. One finding per serving
#   version and deleted dataset version. References to dataset versions the registry does
#   not have are skipped (ALM-REG-009); deployments of unknown versions are skipped
#   (ALM-REG-008).
# custom:
#   id: ALM-LIN-007
#   severity: high
#   category: lineage
#   remediation: >-
#     Retrain the model version on data that is still held (or restore the deleted dataset
#     version from a retained copy), or take the version out of service and retire it.
#   controls:
#     - "EU AI Act Art. 10"
#     - "ISO/IEC 42001 A.7.5"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: Training data of a deployed version has not been deleted out from under it.
package almguard.rules.lineage.training_data_deleted

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	links := snapshot.dataset_links
	datasets := snapshot.datasets_by_id
	some vid in snapshot.deployed_version_ids
	some dataset_id in links[vid].training
	deleted_at := object.get(datasets[dataset_id], "deleted_at", null)
	is_string(deleted_at)
	data.almguard.lib.time.ns(deleted_at) <= snapshot.now_ns
	finding := {
		"resource": {"kind": "model_version", "id": vid},
		"message": sprintf(
			"Model version '%s' serves traffic but its training dataset version '%s' was deleted at %s",
			[vid, dataset_id, deleted_at],
		),
	}
}
