# METADATA
# title: Deployed versions meet the required evaluation metrics
# description: >-
#   The evaluation gate: a version that serves traffic (a deployment with traffic_percent > 0,
#   in any environment) has results for every metric its model's risk tier requires
#   (data.almguard.config.evaluation.required_metrics; a model without a tier is held to
#   `high`), and each result meets its threshold — the evaluation's own threshold if it records
#   one, else the configured default — in its direction (the evaluation's higher_is_better if
#   recorded, else the configured one, else higher is better). Equality meets the threshold.
#   When a metric was evaluated several times, the latest dated result decides (all of them on
#   a tie, undated ones ignored); when none is dated, every result must pass. A missing metric
#   and a failing metric are two messages of this rule, one finding per version and metric.
#   Whether the results predate the deployment is ALM-EVAL-002's business; a recorded threshold
#   on a metric the tier does not require is ALM-EVAL-005's. A model without a tier is named
#   as held to tier high, not as being of that tier.
# custom:
#   id: ALM-EVAL-001
#   severity: high
#   category: evaluation
#   remediation: >-
#     Evaluate the version on every metric its risk tier requires and record the results under
#     `evaluations` (metric, value, evaluated_at); a version whose latest result is below the
#     threshold must be improved and re-evaluated, or taken out of traffic.
#   controls:
#     - "EU AI Act Art. 15"
#     - "NIST AI RMF MEASURE 2.3"
#     - "ISO/IEC 42001 A.6.2.4"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: >-
#     A deployed version has results for the required metrics (by risk tier), each meeting its
#     threshold (its own, else the configured default).
package almguard.rules.evaluation.required_metrics

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	versions := snapshot.versions_by_id
	some id in snapshot.deployed_version_ids
	entry := versions[id]
	some requirement in data.almguard.lib.evaluation.required_metrics(entry.tier)
	evaluations := data.almguard.lib.evaluation.of_metric(entry.version, requirement.metric)
	finding := _finding(entry, requirement, evaluations)
}

_finding(entry, requirement, evaluations) := {
	"resource": {"kind": "model_version", "id": entry.id},
	"message": sprintf(
		"Version '%s' has no '%s' evaluation, which %s requires",
		[entry.id, requirement.metric, data.almguard.lib.snapshot.tier_phrase(entry.model)],
	),
} if {
	count(evaluations) == 0
} else := {
	"resource": {"kind": "model_version", "id": entry.id},
	"message": sprintf(
		"Version '%s' has a latest '%s' result that does not meet its threshold",
		[entry.id, requirement.metric],
	),
} if {
	# only a result that fails can be a deciding result that fails: test the cheap part first
	some result in evaluations
	not data.almguard.lib.evaluation.meets_threshold(result, requirement)
	some evaluation in data.almguard.lib.evaluation.deciding_evaluations(evaluations)
	not data.almguard.lib.evaluation.meets_threshold(evaluation, requirement)
}
