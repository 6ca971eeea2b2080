# METADATA
# title: Model versions use semantic versioning
# description: >-
#   The registry's versioning scheme is semantic versioning (MAJOR.MINOR.PATCH), so that
#   versions order and compare and a reader can tell a breaking change from a patch. The
#   accepted schemes of version strings are policy data (registry.version_schemes, a list: a
#   string passes when it follows any): `semver` (the default), `integer` (whole numbers 1, 2,
#   3 as MLflow and Azure ML assign them) and `any`; an unknown name accepts nothing, so a typo
#   cannot switch the rule off. Registries
#   that number versions themselves keep that number as the identity deployments use, so it
#   cannot be renamed: a version whose string does not follow the scheme passes when its tag
#   registry.semver_tag (default `almguard.semver`, kept as-is by both importers) holds a
#   semantic version. Such a tag must name one version only: a version that passes by a tag
#   whose semantic version another version of the model also claims (by its string or its
#   tag) is a finding too (one per version).
# custom:
#   id: ALM-REG-001
#   severity: low
#   category: registry
#   remediation: >-
#     Register the version as MAJOR.MINOR.PATCH (for example 2.1.0); where the registry
#     numbers versions itself (MLflow, Azure ML), tag each version with its semantic version
#     (almguard.semver = 2.1.0), unique within the model, or accept the registry's numbering in
#     registry.version_schemes ([semver, integer]).
#   controls:
#     - "ISO/IEC 42001 A.6.2.3"
#   alm_rule: Model version strings are semantic versions (MAJOR.MINOR.PATCH).
package almguard.rules.registry.semantic_version

import rego.v1

import data.almguard.lib.snapshot

# A version that follows none of the schemes and has no semantic-version tag.
deny contains finding if {
	some id, entry in snapshot.versions_by_id
	not _follows_scheme(entry.version.version)
	not _tagged_semver(entry.version)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Version '%s' of model '%s' %s%s", [
			entry.version.version, entry.model.name,
			_scheme_text, _tag_text(entry.version),
		]),
	}
}

# A version that passes by its tag, whose semantic version another version claims too.
deny contains finding if {
	some id, entry in snapshot.versions_by_id
	not _follows_scheme(entry.version.version)
	_tagged_semver(entry.version)
	claim := entry.version.tags[_semver_tag]
	others := _claimants(entry.model, claim) - {entry.version.version}
	count(others) > 0
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Version '%s' of model '%s' claims semantic version '%s' by its tag '%s', also claimed by %s",
			[
				entry.version.version, entry.model.name, claim, _semver_tag,
				concat(", ", [sprintf("version '%s'", [other]) | some other in sort(others)]),
			],
		),
	}
}

_schemes := data.almguard.lib.registry.field(data.almguard.config.registry, "version_schemes", ["semver"])

_semver_tag := data.almguard.lib.registry.field(data.almguard.config.registry, "semver_tag", "")

_follows_scheme(version) if {
	"semver" in _schemes
	semver.is_valid(version)
}

_follows_scheme(version) if {
	"integer" in _schemes
	_whole_number(version)
}

_follows_scheme(_) if "any" in _schemes

# A whole number without sign or leading zeros: 0, 1, 2, ..., 10.
_whole_number(version) if {
	version != ""
	trim_left(version, "0123456789") == ""
	not _leading_zero(version)
}

_leading_zero(version) if {
	startswith(version, "0")
	version != "0"
}

# The version's semantic-version tag, when the policy names one and it holds a valid one.
_tagged_semver(version) if {
	_semver_tag != ""
	semver.is_valid(object.get(version, ["tags", _semver_tag], ""))
}

# The semantic version a version stands for: its string, else its tag.
_claim(version) := version.version if {
	semver.is_valid(version.version)
} else := version.tags[_semver_tag] if {
	_tagged_semver(version)
}

# The versions of a model that stand for one semantic version.
_claimants(model, claim) := {version.version |
	some version in model.versions
	_claim(version) == claim
}

_scheme_text := "is not a semantic version (MAJOR.MINOR.PATCH)" if {
	_schemes == ["semver"]
} else := "is not a whole version number (versioning scheme integer)" if {
	_schemes == ["integer"]
} else := sprintf("follows none of the accepted versioning schemes (%s)", [_scheme_names])

_scheme_names := concat(", ", [sprintf("%v", [scheme]) | some scheme in _schemes])

_tag_text(version) := "" if {
	_semver_tag == ""
} else := sprintf(", and its tag '%s' ('%s') is not a semantic version", [_semver_tag, value]) if {
	value := object.get(version, ["tags", _semver_tag], null)
	is_string(value)
} else := sprintf(", and no tag '%s' names a semantic version", [_semver_tag])
