# METADATA
# title: Helpers of the lineage rules
# description: >-
#   Shared judgements of the lineage category, computed once per evaluation as sets of
#   version ids: which versions record no training-data lineage, which must have it, which
#   count as production, and when the provenance rules stay silent because the
#   training-lineage rules already report a version that records no lineage at all. Call the
#   functions by their full path (data.almguard.lib.lineage.f): the embedded engine does not
#   resolve functions through imports.
package almguard.lib.lineage

import rego.v1

import data.almguard.lib.snapshot

# Versions that record no training data and whose model type is not exempt from the
# training-data lineage requirement.
missing_training_lineage_ids contains id if {
	exempt := data.almguard.config.lineage.training_lineage_exempt_types
	some id, entry in snapshot.versions_by_id
	count(object.get(entry.version, ["lineage", "training_data"], [])) == 0
	not object.get(entry.model, "type", "") in exempt
}

# Versions that must have training-data lineage: they serve traffic, or they are at a stage
# that requires lineage (lineage.required_stages).
required_ids contains id if {
	versions := snapshot.versions_by_id
	some id in snapshot.deployed_version_ids
	versions[id]
}

required_ids contains id if {
	some stage in data.almguard.config.lineage.required_stages
	some id in snapshot.versions_at_stage[stage]
}

# The version records no lineage at all: no lineage object, or one whose fields are all
# absent or empty.
no_lineage(version) if {
	recorded := {key | some key, value in object.get(version, "lineage", {}); not value in {[], {}}}
	count(recorded) == 0
}

# No cascade: a version without any lineage that the training-lineage rules (ALM-LIN-001 or
# ALM-LIN-002) already report gets only that finding, not also the preprocessing,
# training-job and base-model ones.
silenced_ids contains id if {
	some id in missing_training_lineage_ids
	id in required_ids
	no_lineage(snapshot.versions_by_id[id].version)
}

# Versions that count as production: at a production stage (lineage.production_stages), or
# serving production traffic.
production_ids contains id if {
	versions := snapshot.versions_by_id
	some id in snapshot.production_version_ids
	versions[id]
}

production_ids contains id if {
	some stage in data.almguard.config.lineage.production_stages
	some id in snapshot.versions_at_stage[stage]
}

# Production versions whose model is trained by the organisation (type not in
# lineage.provenance_exempt_types) and that are not silenced: they must record their
# preprocessing steps and training job.
provenance_required_ids contains id if {
	exempt := data.almguard.config.lineage.provenance_exempt_types
	versions := snapshot.versions_by_id
	some id in production_ids
	not object.get(versions[id].model, "type", "") in exempt
	not id in silenced_ids
}

# A code reference pinned to a commit SHA or a digest (config lineage.pinned_code_ref_pattern).
# While the configured pattern is the shipped one, an equivalent string test decides instead of
# regex.match (why: see data.almguard.lib.registry): a 40- or 64-hex commit SHA or a sha256
# digest, optionally after a prefix without a line break that ends in @, :, / or #.
pinned_code_ref(code_ref) if {
	_shipped_pin_pattern
	prefix := trim_right(code_ref, "0123456789abcdef")
	hex_digits := count(code_ref) - count(prefix)
	hex_digits in {40, 64}
	_pin_prefix(prefix)
} else if {
	not _shipped_pin_pattern
	regex.match(data.almguard.config.lineage.pinned_code_ref_pattern, code_ref)
}

_shipped_pin_pattern if data.almguard.config.lineage.pinned_code_ref_pattern == _shipped_pin

_shipped_pin := "^(.*[@:/#])?([0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64})$"

_pin_prefix("") := true

_pin_prefix(prefix) if {
	not contains(prefix, "\n")
	some separator in ["@", ":", "/", "#"]
	endswith(prefix, separator)
}
