# METADATA
# title: Model versions use semantic versioning
# description: >-
#   The registry's versioning scheme is semantic versioning (MAJOR.MINOR.PATCH), so that
#   versions order and compare and a reader can tell a breaking change from a patch.
# custom:
#   id: ALM-REG-001
#   severity: low
#   category: registry
#   remediation: >-
#     Register the version as MAJOR.MINOR.PATCH (for example 2.1.0); keep the old label in
#     the version's tags if tooling needs it.
#   controls:
#     - "ISO/IEC 42001 A.6.2.3"
#   alm_rule: Model version strings are semantic versions (MAJOR.MINOR.PATCH).
package almguard.rules.registry.semantic_version

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, entry in snapshot.versions_by_id
	not semver.is_valid(entry.version.version)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Version '%s' of model '%s' is not a semantic version (MAJOR.MINOR.PATCH)", [entry.version.version, entry.model.name]),
	}
}
