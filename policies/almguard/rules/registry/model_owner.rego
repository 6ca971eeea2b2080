# METADATA
# title: Every model has an owner
# description: >-
#   Every registered model names the team or person accountable for it (owner). A blank
#   owner counts as missing.
# custom:
#   id: ALM-REG-003
#   severity: medium
#   category: registry
#   remediation: >-
#     Set the model's owner to the accountable team or person in the registry.
#   controls:
#     - "NIST AI RMF GOVERN 1.6"
#     - "NIST AI RMF GOVERN 2.1"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 2"
#   alm_rule: Every model has an owner and a risk tier.
package almguard.rules.registry.model_owner

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some name, model in snapshot.models_by_name
	not data.almguard.lib.registry.present(object.get(model, "owner", null))
	finding := {
		"resource": {"kind": "model", "id": name},
		"message": sprintf("Model '%s' has no owner", [name]),
	}
}
