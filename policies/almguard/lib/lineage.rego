# METADATA
# title: Helpers of the lineage rules
# description: >-
#   Shared judgements of the lineage category: null-safe access to a version's lineage,
#   which versions must have training-data lineage, which count as production, and when the
#   provenance rules stay silent because the training-lineage rules already report a
#   version that records no lineage at all. Call the functions by their full path
#   (data.almguard.lib.lineage.f): the embedded engine does not resolve functions through
#   imports.
package almguard.lib.lineage

import rego.v1

import data.almguard.lib.snapshot

# The lineage object of a model version ({} when absent or written as null).
lineage_of(version) := data.almguard.lib.registry.field(version, "lineage", {})

# A lineage field of a model version (fallback when the lineage or the field is absent or null).
lineage_field(version, key, fallback) := data.almguard.lib.registry.field(lineage_of(version), key, fallback)

# Training-data references of a model version (empty when no lineage is recorded).
training_refs(version) := lineage_field(version, "training_data", [])

# Evaluation-data references of a model version.
evaluation_refs(version) := lineage_field(version, "evaluation_data", [])

# The version records no training data and its model type is not exempt from the
# training-data lineage requirement.
missing_training_lineage(entry) if {
	not data.almguard.lib.registry.field(entry.model, "type", "") in data.almguard.config.lineage.training_lineage_exempt_types
	count(training_refs(entry.version)) == 0
}

# The version must have training-data lineage: it serves traffic, or it is at a stage that
# requires lineage (lineage.required_stages).
lineage_required(vid, _) if vid in snapshot.deployed_version_ids

lineage_required(_, entry) if entry.stage in data.almguard.config.lineage.required_stages

# The training-lineage rules (ALM-LIN-001 or ALM-LIN-002) report this version.
training_lineage_reported(vid, entry) if {
	lineage_required(vid, entry)
	missing_training_lineage(entry)
}

# The version records no lineage at all: no lineage object, or one whose fields are all
# absent, null or empty.
no_lineage(entry) if {
	recorded := {key | some key, value in lineage_of(entry.version); not value in {null, [], {}}}
	count(recorded) == 0
}

# No cascade: a version without any lineage that the training-lineage rules already report
# gets only that finding, not also the preprocessing, training-job and base-model ones.
silenced(vid, entry) if {
	no_lineage(entry)
	training_lineage_reported(vid, entry)
}

# The version counts as production: it is at a production stage (lineage.production_stages)
# or it serves production traffic.
production(vid, _) if vid in snapshot.production_version_ids

production(_, entry) if entry.stage in data.almguard.config.lineage.production_stages

# A production version whose model is trained by the organisation (type not in
# lineage.provenance_exempt_types) and that is not silenced: it must record its
# preprocessing steps and training job.
provenance_required(vid, entry) if {
	production(vid, entry)
	not data.almguard.lib.registry.field(entry.model, "type", "") in data.almguard.config.lineage.provenance_exempt_types
	not silenced(vid, entry)
}
