# METADATA
# title: Helpers of the safety rules
# description: >-
#   Which models produce generated content and what their tier requires. Call these functions
#   by full path (data.almguard.lib.safety.f): the embedded engine does not resolve functions
#   through imports.
package almguard.lib.safety

import rego.v1

# Deployments that serve traffic from a version of a generative model (type in
# data.almguard.config.generative_types), by deployment id, with the version's entry (as in
# data.almguard.lib.snapshot.serving_deployments). A model without a recorded type is not
# treated as generative.
generative_serving[id] := serving if {
	types := data.almguard.config.generative_types
	some id, serving in data.almguard.lib.snapshot.serving_deployments
	object.get(serving.entry.model, "type", null) in types
}

# The safety suites a model's effective risk tier requires (empty: any passed suite will do).
required_suites(tier) := object.get(_config.required_suites, tier, [])

# The content-safety filters a production deployment of a model of this effective risk tier
# must list.
required_content_filters(tier) := object.get(_config.required_content_filters, tier, [])

# Policy data read once, not on every call (a data reference costs more than a rule's).
_config := data.almguard.config.safety

# Whether obj[key] holds a time string (absent is "not recorded").
has_time(obj, key) if is_string(object.get(obj, key, null))

# Quoted, sorted, comma-separated names for a message: 'a', 'b'.
quoted_list(names) := concat(", ", [sprintf("'%s'", [name]) | some name in sort(names)])
