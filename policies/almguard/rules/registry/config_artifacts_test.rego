package almguard.rules.registry.config_artifacts_test

import rego.v1

import data.almguard.rules.registry.config_artifacts as rule

_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_snapshot(model, version) := data.almguard.test.builder.snapshot_with_version(model, version)

_artifacts(kinds) := [{"kind": kind, "uri": "blob://x", "digest": _digest} | some kind in kinds]

test_agent_with_prompt_and_rag_config_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		{"type": "agent"},
		{"stage": "production", "config_artifacts": _artifacts(["prompt_template", "rag_config"])},
	)
}

test_agent_artifacts_without_digest_pass_here if {
	# digests are ALM-REG-007's business
	count(rule.deny) == 0 with input as _snapshot(
		{"type": "agent"},
		{"stage": "staging", "config_artifacts": [{"kind": "prompt_template"}, {"kind": "rag_config"}]},
	)
}

test_agent_without_config_artifacts_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' lacks the required config artifacts 'prompt_template', 'rag_config'",
	}} with input as _snapshot({"type": "agent"}, {"stage": "staging"})
}

test_agent_without_rag_config_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' lacks the required config artifacts 'rag_config'",
	}} with input as _snapshot(
		{"type": "agent"},
		{"stage": "evaluation", "config_artifacts": _artifacts(["prompt_template", "hyperparameters"])},
	)
}

test_agent_in_development_passes if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {})
}

test_custom_model_needs_no_config_artifacts if {
	count(rule.deny) == 0 with input as _snapshot({"type": "custom"}, {"stage": "production"})
}

test_model_without_type_needs_no_config_artifacts if {
	count(rule.deny) == 0 with input as _snapshot({}, {"stage": "production"})
}

test_model_tagged_prompted_needs_prompt_template if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' lacks the required config artifacts 'prompt_template'",
	}} with input as _snapshot({"type": "foundation", "tags": {"prompted": "true"}}, {"stage": "production"})
}

test_version_tagged_prompted_needs_prompt_template if {
	version := {"stage": "production", "tags": {"prompted": "true"}}
	count(rule.deny) == 1 with input as _snapshot({"type": "fine_tuned"}, version)
}

test_prompted_model_with_prompt_template_passes if {
	count(rule.deny) == 0 with input as _snapshot(
		{"tags": {"prompted": "true"}},
		{"stage": "production", "config_artifacts": _artifacts(["prompt_template"])},
	)
}

test_prompted_tag_with_other_value_does_not_count if {
	count(rule.deny) == 0 with input as _snapshot({"tags": {"prompted": "false"}}, {"stage": "production"})
}

test_required_config_artifacts_is_policy_data if {
	count(rule.deny) == 0 with input as _snapshot(
		{"type": "agent"},
		{"stage": "production", "config_artifacts": _artifacts(["prompt_template"])},
	)
		with data.almguard.config.registry.required_config_artifacts as {
			"custom": [],
			"fine_tuned": [],
			"agent": ["prompt_template"],
			"foundation": [],
		}
}

test_prompted_tag_is_policy_data if {
	count(rule.deny) == 1 with input as _snapshot({"tags": {"usage": "prompt"}}, {"stage": "production"})
		with data.almguard.config.registry.prompted_tag as {"key": "usage", "value": "prompt"}
}

test_prompted_config_artifacts_is_policy_data if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Model version 'm@1.0.0' lacks the required config artifacts 'safety_filter'",
	}} with input as _snapshot(
		{"tags": {"prompted": "true"}},
		{"stage": "production", "config_artifacts": _artifacts(["prompt_template"])},
	)
		with data.almguard.config.registry.prompted_config_artifacts as ["prompt_template", "safety_filter"]
}

test_unreleased_stages_is_policy_data if {
	count(rule.deny) == 0 with input as _snapshot({"type": "agent"}, {"stage": "evaluation"})
		with data.almguard.config.registry.unreleased_stages as ["development", "evaluation"]
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_model_type_needs_no_config_artifacts if {
	count(rule.deny) == 0 with input as _snapshot({}, {"stage": "production"})
}
