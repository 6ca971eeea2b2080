package almguard.rules.registry.semantic_version_test

import rego.v1

import data.almguard.rules.registry.semantic_version

_snapshot(version) := {
	"schema_version": 1,
	"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
	"models": [{"name": "m", "versions": [{"version": version}]}],
}

test_semantic_version_passes if {
	count(semantic_version.deny) == 0 with input as _snapshot("2.1.0")
}

test_prerelease_is_semantic if {
	count(semantic_version.deny) == 0 with input as _snapshot("2.1.0-rc.1")
}

test_two_part_version_fails if {
	semantic_version.deny == {{
		"resource": {"kind": "model_version", "id": "m@2.1"},
		"message": "Version '2.1' of model 'm' is not a semantic version (MAJOR.MINOR.PATCH)",
	}} with input as _snapshot("2.1")
}

test_plain_integer_version_fails if {
	count(semantic_version.deny) == 1 with input as _snapshot("3")
}
