# METADATA
# title: Production versions record a training job with pinned code
# description: >-
#   A production version (at a stage in lineage.production_stages, or serving production
#   traffic) records the training job that produced it (lineage.training_job) with a code
#   reference pinned to an immutable revision: a full commit SHA or a digest, as
#   lineage.pinned_code_ref_pattern defines (a branch or tag name such as main or v1 moves
#   and pins nothing). Model types not trained by the organisation
#   (lineage.provenance_exempt_types, agent and foundation by default) are exempt. One
#   finding per version: no training job, no code reference, or an unpinned one. No
#   cascade: a version that records no lineage at all and is already reported by the
#   training-lineage rules (ALM-LIN-001/002) gets no finding here.
#   "No lineage at all" means no lineage object, or one whose fields are all absent,
#   null or empty.
# custom:
#   id: ALM-LIN-005
#   severity: high
#   category: lineage
#   remediation: >-
#     Record the training job in lineage.training_job with its id, environment and a
#     code_ref pinned to the full commit SHA (or digest) of the training code that ran.
#   controls:
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.6.2.3"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Production versions record preprocessing / feature-engineering steps with code
#     references, and a training job with a pinned code reference.
package almguard.rules.lineage.training_job

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	versions := snapshot.versions_by_id
	some vid in data.almguard.lib.lineage.provenance_required_ids
	job := object.get(versions[vid].version, ["lineage", "training_job"], null)
	finding := _finding(vid, job)
}

_finding(vid, job) := {
	"resource": {"kind": "model_version", "id": vid},
	"message": sprintf("Production model version '%s' records no training job", [vid]),
} if {
	job == null
} else := {
	"resource": {"kind": "model_version", "id": vid},
	"message": sprintf("Training job of production model version '%s' has no code reference", [vid]),
} if {
	not data.almguard.lib.registry.present(object.get(job, "code_ref", null))
} else := {
	"resource": {"kind": "model_version", "id": vid},
	"message": sprintf(
		"Training job of production model version '%s' has code reference '%s', which is not pinned to a commit SHA or digest",
		[vid, job.code_ref],
	),
} if {
	not data.almguard.lib.lineage.pinned_code_ref(job.code_ref)
}
