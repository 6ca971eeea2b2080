# METADATA
# title: Model names follow the naming convention
# description: >-
#   Registered model names match the organisation's naming convention (policy data
#   registry.name_pattern, by default lowercase kebab-case such as credit-risk-scorer), so
#   that the inventory is searchable and one model is not registered twice under two
#   spellings.
# custom:
#   id: ALM-REG-002
#   severity: low
#   category: registry
#   remediation: >-
#     Register the model under a name that matches the naming convention (by default
#     lowercase letters, digits and single hyphens, starting with a letter) and keep the old
#     name in the model's tags if tooling needs it.
#   controls:
#     - "NIST AI RMF GOVERN 1.6"
#   alm_rule: Model names follow the naming convention (a configurable pattern).
package almguard.rules.registry.model_name

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	pattern := data.almguard.config.registry.name_pattern
	some name, _ in snapshot.models_by_name
	not data.almguard.lib.registry.conventional_name(name)
	finding := {
		"resource": {"kind": "model", "id": name},
		"message": sprintf("Model name '%s' does not match the naming convention '%s'", [name, pattern]),
	}
}
