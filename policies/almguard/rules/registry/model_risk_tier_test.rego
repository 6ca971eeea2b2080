package almguard.rules.registry.model_risk_tier_test

import rego.v1

import data.almguard.rules.registry.model_risk_tier

# (A model of its own fields only: no versions.)
_snapshot(model) := data.almguard.test.builder.snapshot({"models": [model]})

test_model_with_risk_tier_passes if {
	count(model_risk_tier.deny) == 0 with input as _snapshot({"name": "m", "risk_tier": "minimal"})
}

test_model_without_risk_tier_fails if {
	model_risk_tier.deny == {{
		"resource": {"kind": "model", "id": "m"},
		"message": "Model 'm' has no risk tier",
	}} with input as _snapshot({"name": "m", "owner": "risk-ml"})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_risk_tier_counts_as_missing if {
	count(model_risk_tier.deny) == 1 with input as _snapshot({"name": "m"})
}
