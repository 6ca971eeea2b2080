# METADATA
# title: Agents and prompted models record their configuration as artifacts
# description: >-
#   A version past development (any stage not in registry.unreleased_stages) of a model
#   whose type requires configuration artifacts (registry.required_config_artifacts, by
#   default agent: prompt_template and rag_config) records an artifact of each required
#   kind. A model that is not an agent but is used through a prompt ("prompted") is marked
#   by the tag registry.prompted_tag (prompted: "true") on the model or on the version, and
#   must then record the kinds in registry.prompted_config_artifacts (prompt_template by
#   default). One finding per version lists the missing kinds. Whether the recorded
#   artifacts carry digests is ALM-REG-007's business.
# custom:
#   id: ALM-REG-006
#   severity: high
#   category: registry
#   remediation: >-
#     Register the prompt template and RAG configuration the version runs with as config
#     artifacts (kind, uri, digest) of the model version, so that a change of prompt or
#     retrieval setup is a new, traceable version.
#   controls:
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.6.2.3"
#   alm_rule: >-
#     Versions past development record an artifact digest; agents and prompted models record
#     their prompt template / RAG configuration as config artifacts with digests.
package almguard.rules.registry.config_artifacts

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, entry in snapshot.versions_by_id
	data.almguard.lib.registry.past_development(entry)
	required := data.almguard.lib.registry.required_config_kinds(entry)
	recorded := {artifact.kind | some artifact in data.almguard.lib.registry.field(entry.version, "config_artifacts", [])}
	missing := required - recorded
	count(missing) > 0
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Model version '%s' lacks the required config artifacts %s", [id, concat(", ", [sprintf("'%s'", [kind]) | some kind in sort(missing)])]),
	}
}
