package almguard.rules.registry.model_name_test

import rego.v1

import data.almguard.rules.registry.model_name

_snapshot(names) := data.almguard.test.builder.snapshot({"models": [_model(name) | some name in names]})

_model(name) := data.almguard.test.builder.model({"name": name, "versions": []})

test_kebab_case_names_pass if {
	count(model_name.deny) == 0 with input as _snapshot(["credit-risk-scorer", "churn", "gpt4-summarizer-2"])
}

test_no_models_no_finding if {
	count(model_name.deny) == 0 with input as data.almguard.test.builder.snapshot({})
}

test_upper_case_name_fails if {
	model_name.deny == {{
		"resource": {"kind": "model", "id": "CreditRisk"},
		"message": "Model name 'CreditRisk' does not match the naming convention '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'",
	}} with input as _snapshot(["CreditRisk", "ok-name"])
}

test_underscore_name_fails if {
	count(model_name.deny) == 1 with input as _snapshot(["credit_risk"])
}

test_leading_digit_fails if {
	count(model_name.deny) == 1 with input as _snapshot(["1-model"])
}

test_trailing_and_double_hyphen_fail if {
	count(model_name.deny) == 2 with input as _snapshot(["model-", "credit--risk"])
}

test_name_pattern_is_policy_data if {
	model_name.deny == {{
		"resource": {"kind": "model", "id": "credit-risk"},
		"message": "Model name 'credit-risk' does not match the naming convention '^[a-z_]+$'",
	}} with input as _snapshot(["credit_risk", "credit-risk"])
		with data.almguard.config.registry.name_pattern as "^[a-z_]+$"
}
