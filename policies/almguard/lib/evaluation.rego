# METADATA
# title: Helpers of the evaluation rules
# description: >-
#   Which metrics a model's tier requires and which recorded results decide them. Call these
#   functions by full path (data.almguard.lib.evaluation.f): the embedded engine does not
#   resolve functions through imports.
package almguard.lib.evaluation

import rego.v1

# The required-metric entries for a model's effective risk tier (the "tier" of its versions'
# entries in data.almguard.lib.snapshot.versions_by_id; empty for an unknown tier).
required_metrics(tier) := object.get(_required_metrics, tier, [])

# Policy data read once, not on every call (a data reference costs more than a rule's).
_required_metrics := data.almguard.config.evaluation.required_metrics

# Whether obj[key] holds a time string (absent and null are "not recorded").
has_time(obj, key) if is_string(object.get(obj, key, null))

# The recorded evaluations of one metric of a model version.
of_metric(version, metric) := [evaluation |
	some evaluation in object.get(version, "evaluations", [])
	evaluation.metric == metric
]

# Of the recorded evaluations of one metric, the results that decide it: the latest dated ones
# (all of them on a tie); if none of the results is dated, every result (undated results cannot
# be ordered, so all must pass). Undated results are ignored once a dated one exists.
deciding_evaluations(evaluations) := latest if {
	dated := [evaluation |
		some evaluation in evaluations
		has_time(evaluation, "evaluated_at")
	]
	count(dated) > 0
	last := max({data.almguard.lib.time.ns(evaluation.evaluated_at) | some evaluation in dated})
	latest := [evaluation |
		some evaluation in dated
		data.almguard.lib.time.ns(evaluation.evaluated_at) == last
	]
}

deciding_evaluations(evaluations) := evaluations if {
	every evaluation in evaluations {
		not has_time(evaluation, "evaluated_at")
	}
}

# The bar a result is held to: its own threshold, else the configured default.
threshold(evaluation, requirement) := evaluation.threshold if {
	is_number(evaluation.threshold)
} else := requirement.threshold

# The direction: the result's own higher_is_better, else the configured one, else true.
higher_is_better(evaluation, requirement) := evaluation.higher_is_better if {
	is_boolean(evaluation.higher_is_better)
} else := object.get(requirement, "higher_is_better", true)

# A result meets its bar at equality.
meets_threshold(evaluation, requirement) if {
	higher := higher_is_better(evaluation, requirement)
	limit := threshold(evaluation, requirement)
	_meets(evaluation.value, limit, higher)
}

_meets(value, limit, higher) if {
	higher == true
	value >= limit
}

_meets(value, limit, higher) if {
	higher == false
	value <= limit
}
