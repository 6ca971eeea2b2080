# METADATA
# title: Every model has a risk tier
# description: >-
#   Every registered model records its risk tier (high, limited or minimal), which decides
#   its thresholds and retention. Until it does, the other rules judge the model as high
#   risk (fail closed); this rule reports the missing classification itself.
# custom:
#   id: ALM-REG-004
#   severity: medium
#   category: registry
#   remediation: >-
#     Classify the model and record its risk_tier (high, limited or minimal) in the registry.
#   controls:
#     - "EU AI Act Art. 9"
#     - "NIST AI RMF GOVERN 1.6"
#     - "PRA SS1/23 Principle 1"
#   alm_rule: Every model has an owner and a risk tier.
package almguard.rules.registry.model_risk_tier

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some name, model in snapshot.models_by_name
	object.get(model, "risk_tier", null) == null
	finding := {
		"resource": {"kind": "model", "id": name},
		"message": sprintf("Model '%s' has no risk tier", [name]),
	}
}
