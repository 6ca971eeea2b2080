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
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Versions past development record an artifact digest; agents and prompted models record
#     their prompt template / RAG configuration as config artifacts with digests.
package almguard.rules.registry.config_artifacts

import rego.v1

# A version tagged as prompted needs the prompted kinds besides those of its model ...
deny contains finding if {
	config := data.almguard.config.registry
	prompted_kinds := {kind | some kind in config.prompted_config_artifacts}
	some model in object.get(input, "models", [])
	some version in object.get(model, "versions", [])
	object.get(version, ["tags", config.prompted_tag.key], null) == config.prompted_tag.value
	required := data.almguard.lib.registry.model_config_kinds(model) | prompted_kinds
	finding := _finding(model, version, required, config.unreleased_stages)
}

# ... and the other versions need those of their model (by its type, and its prompted tag).
deny contains finding if {
	config := data.almguard.config.registry
	some model in object.get(input, "models", [])
	required := data.almguard.lib.registry.model_config_kinds(model)
	count(required) > 0
	some version in object.get(model, "versions", [])
	object.get(version, ["tags", config.prompted_tag.key], null) != config.prompted_tag.value
	finding := _finding(model, version, required, config.unreleased_stages)
}

# A version past development that lacks some of the required kinds.
_finding(model, version, required, unreleased_stages) := finding if {
	not object.get(version, "stage", "development") in unreleased_stages
	missing := required - {artifact.kind | some artifact in object.get(version, "config_artifacts", [])}
	count(missing) > 0
	id := sprintf("%s@%s", [model.name, version.version])
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Model version '%s' lacks the required config artifacts %s",
			[id, concat(", ", [sprintf("'%s'", [kind]) | some kind in sort(missing)])],
		),
	}
}
