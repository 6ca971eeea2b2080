# METADATA
# title: Production versions record preprocessing steps with code references
# description: >-
#   A production version (at a stage in lineage.production_stages, or serving production
#   traffic) records its preprocessing and feature-engineering steps
#   (lineage.preprocessing, at least one step), each with a code reference (code_ref), so
#   the transformation from dataset to training input can be reproduced. Model types not
#   trained by the organisation (lineage.provenance_exempt_types, agent and foundation by
#   default) are exempt. One finding per version: either no steps, or the names of the
#   steps without a code reference. No cascade: a version that records no lineage at all
#   and is already reported by the training-lineage rules (ALM-LIN-001/002) gets no finding
#   here; a version that has a lineage object without training data and without steps gets
#   both findings, as those are two distinct gaps. Pinning is required of the training job
#   (ALM-LIN-005), not of each step.
#   "No lineage at all" means no lineage object, or one whose fields are all absent,
#   null or empty.
# custom:
#   id: ALM-LIN-004
#   severity: high
#   category: lineage
#   remediation: >-
#     Record every preprocessing and feature-engineering step that produced the training
#     input in lineage.preprocessing, in order, each with the code reference (repository and
#     commit) that implements it.
#   controls:
#     - "EU AI Act Art. 10"
#     - "ISO/IEC 42001 A.7.6"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Production versions record preprocessing / feature-engineering steps with code
#     references, and a training job with a pinned code reference.
package almguard.rules.lineage.preprocessing_steps

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	versions := snapshot.versions_by_id
	some vid in data.almguard.lib.lineage.provenance_required_ids
	steps := object.get(versions[vid].version, ["lineage", "preprocessing"], [])
	finding := _finding(vid, steps)
}

_finding(vid, steps) := {
	"resource": {"kind": "model_version", "id": vid},
	"message": sprintf("Production model version '%s' records no preprocessing steps", [vid]),
} if {
	count(steps) == 0
} else := finding if {
	unreferenced := {step.name |
		some step in steps
		not data.almguard.lib.registry.present(object.get(step, "code_ref", null))
	}
	count(unreferenced) > 0
	finding := {
		"resource": {"kind": "model_version", "id": vid},
		"message": sprintf(
			"Production model version '%s' records preprocessing steps without a code reference: %s",
			[vid, concat(", ", [sprintf("'%s'", [name]) | some name in sort(unreferenced)])],
		),
	}
}
