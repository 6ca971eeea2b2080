package almguard.rules.registry.config_artifact_digest_test

import rego.v1

import data.almguard.rules.registry.config_artifact_digest as rule

_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_snapshot(model, version) := data.almguard.test.builder.snapshot_with_version(model, version)

test_digested_prompt_and_rag_config_pass if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {
		"stage": "production",
		"config_artifacts": [
			{"kind": "prompt_template", "uri": "blob://p", "digest": _digest},
			{"kind": "rag_config", "uri": "blob://r", "digest": _digest},
		],
	})
}

test_prompt_template_without_digest_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' has no valid digest on its config artifacts of kind 'prompt_template'",
	}} with input as _snapshot({"type": "agent"}, {
		"stage": "staging",
		"config_artifacts": [
			{"kind": "prompt_template", "uri": "blob://p"},
			{"kind": "rag_config", "uri": "blob://r", "digest": _digest},
		],
	})
}

test_undigested_and_malformed_kinds_listed_in_one_finding if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' has no valid digest on its config artifacts of kind 'prompt_template', 'rag_config'",
	}} with input as _snapshot({"type": "agent"}, {
		"stage": "production",
		"config_artifacts": [
			{"kind": "rag_config", "digest": "md5:abc"},
			{"kind": "prompt_template"},
			{"kind": "prompt_template", "digest": _digest},
		],
	})
}

test_any_model_type_recording_a_prompt_needs_its_digest if {
	count(rule.deny) == 1 with input as _snapshot({"type": "custom"}, {
		"stage": "production",
		"config_artifacts": [{"kind": "prompt_template"}],
	})
}

test_other_kinds_need_no_digest if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {
		"stage": "production",
		"config_artifacts": [{"kind": "hyperparameters"}, {"kind": "deployment_config"}],
	})
}

test_development_version_passes if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {"config_artifacts": [{"kind": "prompt_template"}]})
}

test_no_config_artifacts_is_not_this_rules_business if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {"stage": "production"})
}

test_digest_required_config_kinds_is_policy_data if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' has no valid digest on its config artifacts of kind 'hyperparameters'",
	}} with input as _snapshot({"type": "custom"}, {
		"stage": "production",
		"config_artifacts": [{"kind": "hyperparameters"}, {"kind": "prompt_template"}],
	})
		with data.almguard.config.registry.digest_required_config_kinds as ["hyperparameters"]
}

test_digest_pattern_is_policy_data if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {
		"stage": "production",
		"config_artifacts": [{"kind": "prompt_template", "digest": "md5:abc"}],
	})
		with data.almguard.config.registry.digest_pattern as "^md5:[a-f0-9]+$"
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_digest_counts_as_missing if {
	count(rule.deny) == 1 with input as _snapshot({"type": "agent"}, {
		"stage": "production",
		"config_artifacts": [{"kind": "rag_config"}],
	})
}
