# METADATA
# title: Versions past development record an artifact digest
# description: >-
#   Every model version at a stage past development (any stage not in policy data
#   registry.unreleased_stages: evaluation, staging, production, archived and retired by
#   default) records the digest of its artifact (the weights or package), in the accepted
#   form (registry.digest_pattern, sha256:<64 hex> by default). The digest is what makes
#   the version immutable and reproducible. This rule owns every fault of the artifact
#   record: no artifact, an artifact without digest, or a malformed digest (one finding per
#   version). Archived and retired versions are held to it too, even when their artifacts
#   were purged: the digest of what was served must stay on record.
# custom:
#   id: ALM-REG-005
#   severity: high
#   category: registry
#   remediation: >-
#     Record the artifact's content digest (sha256:<64 hex>) in the model version's
#     artifact.digest, computed from the registered weights or package.
#   controls:
#     - "EU AI Act Art. 11"
#     - "ISO/IEC 42001 A.6.2.3"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Versions past development record an artifact digest; agents and prompted models record
#     their prompt template / RAG configuration as config artifacts with digests.
package almguard.rules.registry.artifact_digest

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	unreleased_stages := data.almguard.config.registry.unreleased_stages
	some id, entry in snapshot.versions_by_id
	not data.almguard.lib.registry.valid_digest(object.get(entry.version, ["artifact", "digest"], null))
	not entry.stage in unreleased_stages
	finding := _finding(id, entry)
}

_finding(id, entry) := {
	"resource": {"kind": "model_version", "id": id},
	"message": sprintf("Model version '%s' at stage '%s' records no artifact digest", [id, entry.stage]),
} if {
	not entry.version.artifact.digest
} else := {
	"resource": {"kind": "model_version", "id": id},
	"message": sprintf(
		"Model version '%s' records an artifact digest that does not match the digest pattern '%s'",
		[id, data.almguard.config.registry.digest_pattern],
	),
}
