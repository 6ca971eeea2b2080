# METADATA
# title: Production endpoints of generative models filter content
# description: >-
#   Every production deployment (environment production, traffic_percent > 0) of a version
#   whose model type is in data.almguard.config.generative_types has content_safety.enabled
#   true; an absent content_safety block counts as disabled. When the model's tier lists
#   required filters (data.almguard.config.safety.required_content_filters, default none), the
#   deployment's content_safety.filters must name each of them. One finding per deployment:
#   "not enabled" and "enabled without the required filters" are distinct messages. Models
#   without a type are not treated as generative. Deployments naming an unknown version are
#   left to the registry rule.
# custom:
#   id: ALM-SAFE-002
#   severity: high
#   category: safety
#   remediation: >-
#     Enable content safety on the deployment (content_safety.enabled true) with the filters
#     your policy requires, or take the generative model out of production traffic.
#   controls:
#     - "NIST AI RMF MEASURE 2.6"
#     - "ISO/IEC 42001 A.6.2.5"
#     - "ISO/IEC 42001 A.6.2.6"
#   alm_rule: Production endpoints serving such models have content safety enabled.
package almguard.rules.safety.content_safety

import rego.v1

deny contains finding if {
	some id, serving in data.almguard.lib.safety.generative_serving
	serving.deployment.environment == "production"
	not _enabled(serving.deployment)
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' serves generative model '%s' in production without content safety enabled",
			[id, serving.entry.model.name],
		),
	}
}

deny contains finding if {
	some id, serving in data.almguard.lib.safety.generative_serving
	serving.deployment.environment == "production"
	_enabled(serving.deployment)
	filters := {filter | some filter in object.get(serving.deployment.content_safety, "filters", [])}
	missing := {filter |
		some filter in data.almguard.lib.safety.required_content_filters(serving.entry.tier)
		not filter in filters
	}
	count(missing) > 0
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' has content safety without the required filter %s",
			[id, data.almguard.lib.safety.quoted_list(missing)],
		),
	}
}

_enabled(deployment) if deployment.content_safety.enabled == true
