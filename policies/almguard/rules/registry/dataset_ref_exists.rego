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
#   remediation: >-
#     Register the referenced dataset version (with its digest) in the registry, or correct
#     the reference to name the dataset version actually used.
#   controls:
#     - "EU AI Act Art. 10"
#     - "ISO/IEC 42001 A.7.5"
#   alm_rule: A deployment names a model version that exists; a lineage link names a dataset version that exists.
package almguard.rules.registry.dataset_ref_exists

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, entry in snapshot.versions_by_id
	some ref in _refs(entry.version)
	dataset_id := data.almguard.lib.snapshot.dataset_ref_id(ref)
	not snapshot.datasets_by_id[dataset_id]
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Model version '%s' links to dataset version '%s', which is not in the registry", [id, dataset_id]),
	}
}

_refs(version) := array.concat(
	array.concat(
		data.almguard.lib.lineage.training_refs(version),
		data.almguard.lib.lineage.evaluation_refs(version),
	),
	array.concat(
		[ref |
			some evaluation in data.almguard.lib.registry.field(version, "evaluations", [])
			ref := data.almguard.lib.registry.field(evaluation, "dataset", null)
			ref != null
		],
		[ref |
			retirement := data.almguard.lib.registry.field(version, "retirement", {})
			some certificate in data.almguard.lib.registry.field(retirement, "data_deletion_certificates", [])
			some ref in data.almguard.lib.registry.field(certificate, "datasets", [])
		],
	),
)
