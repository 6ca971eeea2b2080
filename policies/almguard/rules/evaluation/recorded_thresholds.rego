# METADATA
# title: Deployed versions pass the evaluation gates they record
# description: >-
#   A recorded evaluation that carries its own threshold is a gate the team set for itself:
#   a version that serves traffic (a deployment with traffic_percent > 0, in any environment)
#   must meet it, whether or not its model's risk tier requires the metric. For each metric
#   the version records, the latest dated result decides (all of them on a tie, undated ones
#   ignored; when none is dated, every result), exactly as in ALM-EVAL-001, and a deciding
#   result that records a threshold must meet it in its direction (its own higher_is_better,
#   else higher is better). Equality meets the threshold. A deciding result without a
#   threshold of its own sets no gate, even if an older result did. Metrics the tier requires
#   (data.almguard.config.evaluation.required_metrics) are left to ALM-EVAL-001, which holds
#   their results to the same recorded threshold, so a failed gate is reported once. One
#   finding per version and metric.
# custom:
#   id: ALM-EVAL-005
#   severity: high
#   category: evaluation
#   remediation: >-
#     Take the version out of traffic, or improve and re-evaluate it until its latest result
#     meets the threshold it records; if the threshold was wrong, record the corrected one
#     with a new, dated evaluation rather than editing the old result.
#   controls:
#     - "EU AI Act Art. 15"
#     - "NIST AI RMF MEASURE 2.3"
#     - "ISO/IEC 42001 A.6.2.4"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     Beyond the minimum catalog (issue 14): a deployed version meets the threshold that its
#     latest recorded result of each metric carries, required metric or not.
package almguard.rules.evaluation.recorded_thresholds

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	versions := snapshot.versions_by_id
	some id in snapshot.deployed_version_ids
	entry := versions[id]
	some metric in _gated_metrics(entry)
	evaluations := data.almguard.lib.evaluation.of_metric(entry.version, metric)
	failing := _failing(data.almguard.lib.evaluation.deciding_evaluations(evaluations))
	count(failing) > 0
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Version '%s' fails its recorded '%s' gate: latest result %s",
			[id, metric, concat("; ", sort(failing))],
		),
	}
}

# The metrics of a version with a result that records its own threshold, less those its tier
# requires (ALM-EVAL-001's).
_gated_metrics(entry) := {evaluation.metric |
	some evaluation in object.get(entry.version, "evaluations", [])
	is_number(evaluation.threshold)
} - {requirement.metric | some requirement in data.almguard.lib.evaluation.required_metrics(entry.tier)}

# The deciding results that record a threshold and fail it, in words.
_failing(deciding) := {_result_text(evaluation) |
	some evaluation in deciding
	is_number(evaluation.threshold)
	not data.almguard.lib.evaluation.meets_threshold(evaluation, {})
}

_result_text(evaluation) := sprintf(
	"%v %s threshold %v",
	[evaluation.value, _side(evaluation), evaluation.threshold],
) if {
	_printable(evaluation.value)
	_printable(evaluation.threshold)
} else := sprintf("%s its threshold", [_side(evaluation)])

# Where a failing value lies: below a higher-is-better threshold, above a lower-is-better one.
_side(evaluation) := "above" if {
	data.almguard.lib.evaluation.higher_is_better(evaluation, {}) == false
} else := "below"

# Whether a number prints the same on both engines: for magnitudes from 0.0001 to below
# 1,000,000 (and 0) both print the shortest decimal; beyond, OPA switches to exponent notation
# and the embedded engine does not, so such a result is described without its numbers.
_printable(0) := true

_printable(x) if {
	abs(x) >= 0.0001
	abs(x) < 1000000
}
