package almguard.rules.registry.semantic_version_test

import rego.v1

import data.almguard.rules.registry.semantic_version as rule

_snapshot(version) := _versions([{"version": version}])

_versions(versions) := data.almguard.test.builder.snapshot({"models": [
	data.almguard.test.builder.model({"versions": versions}),
]})

_tagged(version, claimed) := {"version": version, "tags": {"almguard.semver": claimed}}

_finding(version, message) := {
	"resource": {"kind": "model_version", "id": concat("@", ["m", version])},
	"message": message,
}

test_semantic_version_passes if {
	count(rule.deny) == 0 with input as _snapshot("2.1.0")
}

test_prerelease_is_semantic if {
	count(rule.deny) == 0 with input as _snapshot("2.1.0-rc.1")
}

test_two_part_version_fails if {
	rule.deny == {_finding(
		"2.1",
		"Version '2.1' of model 'm' is not a semantic version (MAJOR.MINOR.PATCH), and no tag 'almguard.semver' names a semantic version",
	)} with input as _snapshot("2.1")
}

test_plain_integer_version_fails if {
	count(rule.deny) == 1 with input as _snapshot("3")
}

test_without_a_tag_name_only_the_string_counts if {
	rule.deny == {_finding(
		"3",
		"Version '3' of model 'm' is not a semantic version (MAJOR.MINOR.PATCH)",
	)} with input as _versions([_tagged("3", "2.1.0")])
		with data.almguard.config.registry.semver_tag as ""
}

test_semantic_version_tag_passes_a_numbered_version if {
	count(rule.deny) == 0 with input as _versions([_tagged("1", "1.0.0"), _tagged("2", "1.1.0")])
}

test_invalid_semantic_version_tag_fails if {
	rule.deny == {_finding(
		"3",
		"Version '3' of model 'm' is not a semantic version (MAJOR.MINOR.PATCH), and its tag 'almguard.semver' ('2.1') is not a semantic version",
	)} with input as _versions([_tagged("3", "2.1")])
}

test_configured_tag_name_is_read if {
	version := {"version": "3", "tags": {"semver": "2.1.0"}}
	count(rule.deny) == 0 with input as _versions([version])
		with data.almguard.config.registry.semver_tag as "semver"
	count(rule.deny) == 1 with input as _versions([version])
}

test_tag_claiming_another_versions_semantic_version_fails if {
	rule.deny == {
		_finding(
			"2",
			"Version '2' of model 'm' claims semantic version '1.1.0' by its tag 'almguard.semver', also claimed by version '3', version '4'",
		),
		_finding(
			"3",
			"Version '3' of model 'm' claims semantic version '1.1.0' by its tag 'almguard.semver', also claimed by version '2', version '4'",
		),
		_finding(
			"4",
			"Version '4' of model 'm' claims semantic version '1.1.0' by its tag 'almguard.semver', also claimed by version '2', version '3'",
		),
	} with input as _versions([_tagged("1", "1.0.0"), _tagged("2", "1.1.0"), _tagged("3", "1.1.0"), _tagged("4", "1.1.0")])
}

test_tag_claiming_a_semantic_version_string_fails if {
	rule.deny == {_finding(
		"3",
		"Version '3' of model 'm' claims semantic version '1.1.0' by its tag 'almguard.semver', also claimed by version '1.1.0'",
	)} with input as _versions([{"version": "1.1.0"}, _tagged("3", "1.1.0")])
}

test_tag_of_a_semantic_version_string_is_not_consulted if {
	count(rule.deny) == 0 with input as _versions([_tagged("1.0.0", "9.9.9"), _tagged("1.1.0", "9.9.9")])
}

test_integer_scheme_accepts_whole_numbers if {
	count(rule.deny) == 0 with input as _versions([{"version": "0"}, {"version": "1"}, {"version": "12"}])
		with data.almguard.config.registry.version_schemes as ["integer"]
}

test_integer_scheme_refuses_other_strings if {
	rule.deny == {
		_finding(
			"01",
			"Version '01' of model 'm' is not a whole version number (versioning scheme integer), and no tag 'almguard.semver' names a semantic version",
		),
		_finding(
			"v3",
			"Version 'v3' of model 'm' is not a whole version number (versioning scheme integer), and no tag 'almguard.semver' names a semantic version",
		),
		_finding(
			"2.1.0",
			"Version '2.1.0' of model 'm' is not a whole version number (versioning scheme integer), and no tag 'almguard.semver' names a semantic version",
		),
		_finding(
			"-1",
			"Version '-1' of model 'm' is not a whole version number (versioning scheme integer), and no tag 'almguard.semver' names a semantic version",
		),
		_finding(
			"",
			"Version '' of model 'm' is not a whole version number (versioning scheme integer), and no tag 'almguard.semver' names a semantic version",
		),
	} with input as _versions([{"version": v} | some v in ["01", "v3", "2.1.0", "-1", ""]])
		with data.almguard.config.registry.version_schemes as ["integer"]
}

test_integer_scheme_still_accepts_a_semantic_version_tag if {
	count(rule.deny) == 0 with input as _versions([_tagged("v3", "3.0.0")])
		with data.almguard.config.registry.version_schemes as ["integer"]
}

test_any_scheme_accepts_every_string if {
	count(rule.deny) == 0 with input as _versions([{"version": "v3"}, {"version": "2024-07-18"}])
		with data.almguard.config.registry.version_schemes as ["any"]
}

test_unknown_scheme_accepts_nothing if {
	rule.deny == {_finding(
		"2.1.0",
		"Version '2.1.0' of model 'm' follows none of the accepted versioning schemes (semvr), and no tag 'almguard.semver' names a semantic version",
	)} with input as _snapshot("2.1.0")
		with data.almguard.config.registry.version_schemes as ["semvr"]
}

test_null_schemes_mean_the_default if {
	count(rule.deny) == 1 with input as _snapshot("3")
		with data.almguard.config.registry.version_schemes as null
	count(rule.deny) == 0 with input as _snapshot("3.0.0")
		with data.almguard.config.registry.version_schemes as null
}

test_several_schemes_accept_any_of_them if {
	versions := [{"version": "1"}, {"version": "2.1.0"}, {"version": "v3"}]
	rule.deny == {_finding(
		"v3",
		"Version 'v3' of model 'm' follows none of the accepted versioning schemes (semver, integer), and no tag 'almguard.semver' names a semantic version",
	)} with input as _versions(versions)
		with data.almguard.config.registry.version_schemes as ["semver", "integer"]
}

test_no_scheme_accepts_nothing_but_tags if {
	rule.deny == {_finding(
		"2.1.0",
		"Version '2.1.0' of model 'm' follows none of the accepted versioning schemes (), and no tag 'almguard.semver' names a semantic version",
	)} with input as _versions([{"version": "2.1.0"}, _tagged("3", "3.0.0")])
		with data.almguard.config.registry.version_schemes as []
}
