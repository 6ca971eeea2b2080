# METADATA
# title: Retired versions hold a deletion certificate for their deleted personal training data
# description: >-
#   A retired version (stage retired, or with a retirement object) whose training data includes
#   a personal-data dataset version deleted at or before the snapshot's captured_at must list
#   that dataset version in one of its retirement.data_deletion_certificates. One finding per
#   uncertified dataset. Lineage links to dataset versions the registry does not have are the
#   registry rule's business and are skipped; the dataset's own deletion_certificate is judged by
#   the dataset deletion certificate rule.
# custom:
#   id: ALM-RETAIN-005
#   severity: medium
#   category: retention
#   remediation: >-
#     Add a data deletion certificate (id, issued_at, datasets) to the version's retirement
#     record that lists each deleted personal-data dataset version it was trained on.
#   controls:
#     - "EU AI Act Art. 10"
#     - "NIST AI RMF GOVERN 1.7"
#   alm_rule: >-
#     Personal-data datasets that were deleted have a deletion certificate, and a retired version
#     whose training data held personal data has a data deletion certificate once that data is
#     gone.
package almguard.rules.retention.version_data_deletion_certificate

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	links := snapshot.dataset_links
	datasets := snapshot.datasets_by_id
	some id in _retired_ids
	some dataset_id in links[id].training
	dataset := datasets[dataset_id]
	dataset.personal_data == true
	data.almguard.lib.time.ns(dataset.deleted_at) <= snapshot.now_ns
	not dataset_id in _certified(snapshot.versions_by_id[id].version)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Retired version '%s' has no data deletion certificate for its deleted personal-data training dataset '%s'",
			[id, dataset_id],
		),
	}
}

# Retired versions: at stage retired, or with a retirement record.
_retired_ids contains id if some id in snapshot.versions_at_stage.retired

_retired_ids contains id if {
	some id, retired in snapshot.retirements
	retired.retirement
}

_certified(version) := {data.almguard.lib.snapshot.dataset_ref_id(ref) |
	some certificate in object.get(object.get(version, "retirement", {}), "data_deletion_certificates", [])
	some ref in object.get(certificate, "datasets", [])
}
