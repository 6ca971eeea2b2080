# METADATA
# title: Evaluations predate the deployment
# description: >-
#   The evaluation gate is passed before a version goes live: for every deployment with
#   traffic_percent > 0 and a recorded deployed_at, each metric the model's risk tier requires
#   has at least one evaluation dated at or before deployed_at (the same instant counts as
#   before; one second later does not). An evaluation without evaluated_at cannot prove the
#   order, so it does not count. Later re-evaluations are fine as long as an earlier one
#   exists. A required metric with no evaluation at all is ALM-EVAL-001's finding, and a
#   deployment without deployed_at has no start to compare with; both are skipped here. One
#   finding per deployment, naming every metric that lacks an earlier evaluation.
# custom:
#   id: ALM-EVAL-002
#   severity: medium
#   category: evaluation
#   remediation: >-
#     Record evaluated_at on the evaluations; if the version really went live before it was
#     evaluated, run the evaluation gate before the next deployment and document the gap.
#   controls:
#     - "EU AI Act Art. 9"
#     - "NIST AI RMF MEASURE 2.3"
#     - "ISO/IEC 42001 A.6.2.4"
#     - "SR 11-7 §IV"
#     - "PRA SS1/23 Principle 3"
#   alm_rule: Evaluations took place before the deployment started.
package almguard.rules.evaluation.evaluated_before_deployment

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, serving in snapshot.serving_deployments
	data.almguard.lib.evaluation.has_time(serving.deployment, "deployed_at")
	deployed_ns := data.almguard.lib.time.ns(serving.deployment.deployed_at)
	late := {requirement.metric |
		some requirement in data.almguard.lib.evaluation.required_metrics(serving.entry.tier)
		evaluations := data.almguard.lib.evaluation.of_metric(serving.entry.version, requirement.metric)
		count(evaluations) > 0
		not _evaluated_by(evaluations, deployed_ns)
	}
	count(late) > 0
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' has no evaluation of %s dated at or before its deployed_at",
			[id, concat(", ", [sprintf("'%s'", [metric]) | some metric in sort(late)])],
		),
	}
}

_evaluated_by(evaluations, deployed_ns) if {
	some evaluation in evaluations
	data.almguard.lib.evaluation.has_time(evaluation, "evaluated_at")
	data.almguard.lib.time.ns(evaluation.evaluated_at) <= deployed_ns
}
