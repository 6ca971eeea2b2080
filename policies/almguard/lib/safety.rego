# METADATA
# title: Helpers of the safety rules
# description: >-
#   Which models produce generated content and what their tier requires. Call these functions
#   by full path (data.almguard.lib.safety.f): the embedded engine does not resolve functions
#   through imports.
package almguard.lib.safety

import rego.v1

# A model whose outputs are generated content (type in data.almguard.config.generative_types).
# A model without a recorded type is not treated as generative.
generative(model) if object.get(model, "type", null) in data.almguard.config.generative_types

# The safety suites a model's tier requires (empty: any passed suite will do).
required_suites(model) := object.get(
	data.almguard.config.safety.required_suites,
	data.almguard.lib.snapshot.effective_tier(model),
	[],
)

# The content-safety filters a production deployment of the model must list.
required_content_filters(model) := object.get(
	data.almguard.config.safety.required_content_filters,
	data.almguard.lib.snapshot.effective_tier(model),
	[],
)

# Whether obj[key] holds a time string (absent and null are "not recorded").
has_time(obj, key) if is_string(object.get(obj, key, null))

# Quoted, sorted, comma-separated names for a message: 'a', 'b'.
quoted_list(names) := concat(", ", [sprintf("'%s'", [name]) | some name in sort(names)])
