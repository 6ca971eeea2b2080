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
#   alm_rule: Fine-tuned models name their base model.
package almguard.rules.lineage.base_model

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some vid, entry in _in_scope
	not data.almguard.lib.registry.present(data.almguard.lib.registry.field(_base(entry), "name", null))
	finding := {
		"resource": {"kind": "model_version", "id": vid},
		"message": sprintf("Model version '%s' does not name its base model", [vid]),
	}
}

deny contains finding if {
	data.almguard.config.lineage.base_model_version_required == true
	some vid, entry in _in_scope
	name := data.almguard.lib.registry.field(_base(entry), "name", null)
	data.almguard.lib.registry.present(name)
	not data.almguard.lib.registry.present(data.almguard.lib.registry.field(_base(entry), "version", null))
	finding := {
		"resource": {"kind": "model_version", "id": vid},
		"message": sprintf("Model version '%s' names base model '%s' without its version", [vid, name]),
	}
}

_in_scope[vid] := entry if {
	some vid, entry in snapshot.versions_by_id
	data.almguard.lib.registry.field(entry.model, "type", "") in data.almguard.config.lineage.base_model_types
	not data.almguard.lib.lineage.silenced(vid, entry)
}

_base(entry) := data.almguard.lib.lineage.lineage_field(entry.version, "base_model", {})
