# METADATA
# title: Prompt and RAG config artifacts carry digests
# description: >-
#   Whenever a version past development (any stage not in registry.unreleased_stages)
#   records a config artifact of a kind listed in registry.digest_required_config_kinds
#   (prompt_template and rag_config by default), whatever the model type, that artifact
#   carries a digest in the accepted form (registry.digest_pattern): a recorded prompt
#   template without a digest is not versioned. One finding per version lists the kinds
#   whose artifacts lack a valid digest. A missing artifact is ALM-REG-006's business.
# custom:
#   id: ALM-REG-007
#   severity: high
#   category: registry
#   remediation: >-
#     Record the content digest (sha256:<64 hex>) of each prompt template and RAG
#     configuration artifact of the model version.
#   controls:
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.6.2.3"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Versions past development record an artifact digest; agents and prompted models record
#     their prompt template / RAG configuration as config artifacts with digests.
package almguard.rules.registry.config_artifact_digest

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	unreleased_stages := data.almguard.config.registry.unreleased_stages
	kinds := data.almguard.config.registry.digest_required_config_kinds
	some id, entry in snapshot.versions_by_id
	not entry.stage in unreleased_stages
	artifacts := entry.version.config_artifacts
	undigested := {artifact.kind |
		some artifact in artifacts
		artifact.kind in kinds
		not data.almguard.lib.registry.valid_digest(object.get(artifact, "digest", null))
	}
	count(undigested) > 0
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Model version '%s' has no valid digest on its config artifacts of kind %s",
			[id, concat(", ", [sprintf("'%s'", [kind]) | some kind in sort(undigested)])],
		),
	}
}
