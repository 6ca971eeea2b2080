package almguard.rules.registry.artifact_digest_test

import rego.v1

import data.almguard.rules.registry.artifact_digest as rule

_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_snapshot(version) := data.almguard.test.builder.snapshot_with_version({}, version)

test_development_version_without_artifact_passes if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "development"})
}

test_version_without_stage_is_development_and_passes if {
	count(rule.deny) == 0 with input as _snapshot({})
}

test_production_version_with_digest_passes if {
	version := {"stage": "production", "artifact": {"uri": "azureml://m/1", "digest": _digest}}
	count(rule.deny) == 0 with input as _snapshot(version)
}

test_evaluation_version_without_artifact_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' at stage 'evaluation' records no artifact digest",
	}} with input as _snapshot({"stage": "evaluation"})
}

test_artifact_without_digest_fails_once if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' at stage 'staging' records no artifact digest",
	}} with input as _snapshot({"stage": "staging", "artifact": {"uri": "azureml://m/1"}})
}

test_malformed_digest_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' records an artifact digest that does not match the digest pattern '^sha256:[0-9a-f]{64}$'",
	}} with input as _snapshot({"stage": "production", "artifact": {"digest": "sha256:abc"}})
}

test_digest_without_algorithm_prefix_fails if {
	bare := substring(_digest, 7, 64)
	count(rule.deny) == 1 with input as _snapshot({"stage": "production", "artifact": {"digest": bare}})
}

test_upper_case_hex_digest_fails if {
	count(rule.deny) == 1 with input as _snapshot({"stage": "production", "artifact": {"digest": upper(_digest)}})
}

test_retired_version_must_still_record_digest if {
	count(rule.deny) == 1 with input as _snapshot({"stage": "retired", "artifact": {"uri": "azureml://m/1"}})
}

test_archived_version_with_digest_passes if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "archived", "artifact": {"digest": _digest}})
}

test_unreleased_stages_is_policy_data if {
	count(rule.deny) == 0 with input as _snapshot({"stage": "evaluation"})
		with data.almguard.config.registry.unreleased_stages as ["development", "evaluation"]
}

test_digest_pattern_is_policy_data if {
	sha512 := concat("", ["sha512:", _hex128])
	count(rule.deny) == 0 with input as _snapshot({"stage": "production", "artifact": {"digest": sha512}})
		with data.almguard.config.registry.digest_pattern as "^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$"
}

_hex128 := concat("", [substring(_digest, 7, 64), substring(_digest, 7, 64)])

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_artifact_counts_as_missing if {
	count(rule.deny) == 1 with input as _snapshot({"stage": "production"})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_digest_counts_as_missing if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' at stage 'production' records no artifact digest",
	}} with input as _snapshot({"stage": "production", "artifact": {"uri": "u"}})
}
