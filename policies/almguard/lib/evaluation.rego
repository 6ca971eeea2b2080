# METADATA
# title: Helpers of the evaluation rules
# description: >-
#   Which metrics a model's tier requires and which recorded results decide them. Call these
#   functions by full path (data.almguard.lib.evaluation.f): the embedded engine does not
#   resolve functions through imports.
package almguard.lib.evaluation

import rego.v1

# The required-metric entries for a model's effective risk tier (empty for an unknown tier).
required_metrics(model) := object.get(
	data.almguard.config.evaluation.required_metrics,
	data.almguard.lib.snapshot.effective_tier(model),
	[],
)

# Whether obj[key] holds a time string (absent and null are "not recorded").
has_time(obj, key) if is_string(object.get(obj, key, null))

# The recorded evaluations of one metric of a model version.
evaluations_of(version, metric) := [evaluation |
	some evaluation in object.get(version, "evaluations", [])
	evaluation.metric == metric
]

# The results that decide a metric: the latest dated ones (all of them on a tie); if none of
# the results is dated, every result (undated results cannot be ordered, so all must pass).
# Undated results are ignored once a dated one exists.
deciding_evaluations(version, metric) := latest if {
	dated := [evaluation |
		some evaluation in evaluations_of(version, metric)
		has_time(evaluation, "evaluated_at")
	]
	count(dated) > 0
	last := max({time.parse_rfc3339_ns(evaluation.evaluated_at) | some evaluation in dated})
	latest := [evaluation |
		some evaluation in dated
		time.parse_rfc3339_ns(evaluation.evaluated_at) == last
	]
}

deciding_evaluations(version, metric) := all_results if {
	all_results := evaluations_of(version, metric)
	every evaluation in all_results {
		not has_time(evaluation, "evaluated_at")
	}
}

# The bar a result is held to: its own threshold, else the configured default.
threshold(evaluation, _) := evaluation.threshold if is_number(evaluation.threshold)

threshold(evaluation, requirement) := requirement.threshold if not is_number(object.get(evaluation, "threshold", null))

# The direction: the result's own higher_is_better, else the configured one, else true.
higher_is_better(evaluation, _) := evaluation.higher_is_better if is_boolean(evaluation.higher_is_better)

higher_is_better(evaluation, requirement) := object.get(requirement, "higher_is_better", true) if {
	not is_boolean(object.get(evaluation, "higher_is_better", null))
}

# A result meets its bar at equality.
meets_threshold(evaluation, requirement) if {
	higher_is_better(evaluation, requirement) == true
	evaluation.value >= threshold(evaluation, requirement)
}

meets_threshold(evaluation, requirement) if {
	higher_is_better(evaluation, requirement) == false
	evaluation.value <= threshold(evaluation, requirement)
}
