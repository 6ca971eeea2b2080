# METADATA
# title: Production deployments are monitored
# description: >-
#   A serving production deployment (environment production, traffic_percent > 0) must have
#   monitoring with baseline metrics, alert thresholds and drift detection enabled. One fault,
#   one finding: no monitoring object (or an empty one) is a single finding; otherwise each
#   missing piece is its own finding (no baseline metrics, no alert thresholds, drift detection
#   absent or false). When baseline metrics are recorded, each metric named for the model's risk
#   tier in required_baseline_metrics must be among them (one finding per missing metric; a
#   deployment naming an unknown model, or a model without a tier, is judged as high). Alert
#   thresholds are not required to name baselined metrics: operational alerts (latency, error
#   rate) need no model-quality baseline.
# custom:
#   id: ALM-MON-001
#   severity: high
#   category: monitoring
#   remediation: >-
#     Configure monitoring on the deployment: record baseline values of the model's metrics,
#     set alert thresholds on them, and enable data/prediction drift detection; record all three
#     in the deployment's monitoring block.
#   controls:
#     - "EU AI Act Art. 72"
#     - "NIST AI RMF MEASURE 2.4"
#     - "NIST AI RMF MANAGE 4.1"
#     - "ISO/IEC 42001 A.6.2.6"
#     - "SR 11-7 §V"
#   alm_rule: Production deployments have baseline metrics, alert thresholds and drift detection.
package almguard.rules.monitoring.production_monitoring

import rego.v1

import data.almguard.lib.snapshot

_finding(id, what) := {
	"resource": {"kind": "deployment", "id": id},
	"message": sprintf("Production deployment '%s' %s", [id, what]),
}

deny contains _finding(id, "has no monitoring configured") if {
	some id, deployment in snapshot.production_deployments
	object.get(deployment, "monitoring", {}) == {}
}

deny contains _finding(id, "has no baseline metrics") if {
	some id, deployment in snapshot.production_deployments
	monitoring := object.get(deployment, "monitoring", {})
	monitoring != {}
	count(object.get(monitoring, "baseline_metrics", {})) == 0
}

deny contains _finding(id, sprintf("has no baseline for metric '%s'", [metric])) if {
	required := data.almguard.config.monitoring.required_baseline_metrics
	some id, deployment in snapshot.production_deployments
	baseline := object.get(object.get(deployment, "monitoring", {}), "baseline_metrics", {})
	count(baseline) > 0
	model := object.get(snapshot.models_by_name, deployment.model, {})
	tier := data.almguard.lib.snapshot.effective_tier(model)
	some metric in required[tier]
	not metric in object.keys(baseline)
}

deny contains _finding(id, "has no alert thresholds") if {
	some id, deployment in snapshot.production_deployments
	monitoring := object.get(deployment, "monitoring", {})
	monitoring != {}
	count(object.get(monitoring, "alert_thresholds", {})) == 0
}

deny contains _finding(id, "does not have drift detection enabled") if {
	some id, deployment in snapshot.production_deployments
	monitoring := object.get(deployment, "monitoring", {})
	monitoring != {}
	object.get(monitoring, "drift_detection", false) != true
}
