# METADATA
# title: Training data predates the version it trained
# description: >-
#   A model version can only have been trained on data that existed: every dataset version in
#   its lineage.training_data was created (the dataset's created_at) at or before the model
#   version's created_at. A training dataset created later is a wrong lineage link (another
#   dataset version trained the model) or a backdated version, and the answer to "which data
#   trained this model?" cannot be trusted. Every version is checked, deployed or not: the
#   record is impossible either way. One finding per version and dataset version, naming both
#   dates; the same instant counts as before. Versions or datasets without created_at give
#   nothing to compare; references to dataset versions the registry does not have are
#   ALM-REG-009's. Evaluation data may be newer than the version (re-evaluation on fresh data
#   is good practice) and is not checked.
# custom:
#   id: ALM-LIN-008
#   severity: high
#   category: lineage
#   remediation: >-
#     Correct the lineage link to the dataset version that really trained the model (or the
#     version's created_at, if the registry recorded it late); if the data cannot be
#     identified, treat the version as having no verified training-data lineage.
#   controls:
#     - "EU AI Act Art. 10"
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.7.5"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Beyond the minimum catalog (issue 14): a training dataset version was created before the
#     model version it trained.
package almguard.rules.lineage.training_data_predates_version

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	links := snapshot.dataset_links
	datasets := snapshot.datasets_by_id
	some vid, entry in snapshot.versions_by_id
	created_at := object.get(entry.version, "created_at", null)
	is_string(created_at)
	some dataset_id in links[vid].training
	dataset_created_at := object.get(datasets[dataset_id], "created_at", null)
	is_string(dataset_created_at)
	data.almguard.lib.time.ns(dataset_created_at) > data.almguard.lib.time.ns(created_at)
	finding := {
		"resource": {"kind": "model_version", "id": vid},
		"message": sprintf(
			"Model version '%s' was created at %s, before its training dataset version '%s' was created at %s",
			[vid, created_at, dataset_id, dataset_created_at],
		),
	}
}
