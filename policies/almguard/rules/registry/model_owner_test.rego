package almguard.rules.registry.model_owner_test

import rego.v1

import data.almguard.rules.registry.model_owner

# (A model of its own fields only: no versions.)
_snapshot(model) := data.almguard.test.builder.snapshot({"models": [model]})

test_model_with_owner_passes if {
	count(model_owner.deny) == 0 with input as _snapshot({"name": "m", "owner": "risk-ml"})
}

test_model_without_owner_fails if {
	model_owner.deny == {{
		"resource": {"kind": "model", "id": "m"},
		"message": "Model 'm' has no owner",
	}} with input as _snapshot({"name": "m"})
}

test_blank_owner_counts_as_missing if {
	count(model_owner.deny) == 1 with input as _snapshot({"name": "m", "owner": "  "})
}

test_empty_owner_counts_as_missing if {
	count(model_owner.deny) == 1 with input as _snapshot({"name": "m", "owner": ""})
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_owner_counts_as_missing if {
	count(model_owner.deny) == 1 with input as _snapshot({"name": "m"})
}
