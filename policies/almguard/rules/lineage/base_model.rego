# METADATA
# title: Fine-tuned models name their base model
# description: >-
#   Every version of a model whose type is in lineage.base_model_types (fine_tuned by
#   default), at any stage, names the base model it was fine-tuned from
#   (lineage.base_model.name) and, when lineage.base_model_version_required is true (the
#   default), that base model's version: the name alone does not say which weights were
#   tuned. The base model may be external to the registry, so its presence in the registry
#   is not checked. One finding per version. No cascade: a version that records no lineage
#   at all and is already reported by the training-lineage rules (ALM-LIN-001/002) gets no
#   finding here.
#   "No lineage at all" means no lineage object, or one whose fields are all absent,
#   null or empty.
# custom:
#   id: ALM-LIN-006
#   severity: medium
#   category: lineage
#   remediation: >-
#     Record the base model the version was fine-tuned from in lineage.base_model (name and
#     version, e.g. the foundation model's catalog name and version).
#   controls:
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.6.2.3"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: Fine-tuned models name their base model.
package almguard.rules.lineage.base_model

import rego.v1

# The versions of models whose type must name a base model, unless silenced.
deny contains finding if {
	types := data.almguard.config.lineage.base_model_types
	silenced := data.almguard.lib.lineage.silenced_ids
	some model in object.get(input, "models", [])
	object.get(model, "type", "") in types
	some version in object.get(model, "versions", [])
	vid := sprintf("%s@%s", [model.name, version.version])
	not vid in silenced
	finding := _finding(vid, object.get(version, ["lineage", "base_model"], {}))
}

_finding(vid, base) := {
	"resource": {"kind": "model_version", "id": vid},
	"message": sprintf("Model version '%s' does not name its base model", [vid]),
} if {
	not data.almguard.lib.registry.present(object.get(base, "name", null))
} else := {
	"resource": {"kind": "model_version", "id": vid},
	"message": sprintf("Model version '%s' names base model '%s' without its version", [vid, base.name]),
} if {
	data.almguard.config.lineage.base_model_version_required == true
	not data.almguard.lib.registry.present(object.get(base, "version", null))
}
