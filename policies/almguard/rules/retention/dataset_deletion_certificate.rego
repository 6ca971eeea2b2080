# METADATA
# title: Deleted personal-data datasets have a deletion certificate
# description: >-
#   A dataset version with personal_data true whose deleted_at is at or before the snapshot's
#   captured_at must carry a (non-empty) deletion_certificate as proof of erasure. A deleted_at
#   later than captured_at is a deletion not yet done and is not judged.
# custom:
#   id: ALM-RETAIN-004
#   severity: high
#   category: retention
#   remediation: >-
#     Obtain the certificate of deletion from the team or processor that erased the data (id,
#     issued_at, issued_by, method) and record it as the dataset version's deletion_certificate.
#   controls:
#     - "EU AI Act Art. 10"
#     - "ISO/IEC 42001 A.7.5"
#   alm_rule: >-
#     Personal-data datasets that were deleted have a deletion certificate, and a retired version
#     whose training data held personal data has a data deletion certificate once that data is
#     gone.
package almguard.rules.retention.dataset_deletion_certificate

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some dataset in object.get(input, "datasets", [])
	dataset.personal_data == true
	data.almguard.lib.time.ns(dataset.deleted_at) <= snapshot.now_ns
	object.get(dataset, "deletion_certificate", {}) == {}
	id := sprintf("%s@%s", [dataset.name, dataset.version])
	finding := {
		"resource": {"kind": "dataset", "id": id},
		"message": sprintf("Personal-data dataset '%s' was deleted without a deletion certificate", [id]),
	}
}
