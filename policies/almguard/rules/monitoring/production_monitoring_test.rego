package almguard.rules.monitoring.production_monitoring_test

import rego.v1

import data.almguard.rules.monitoring.production_monitoring as rule

_full := {
	"baseline_metrics": {"auc": 0.91, "latency_p99_ms": 120},
	"alert_thresholds": {"auc": 0.85},
	"drift_detection": true,
}

_snapshot(deployments) := data.almguard.test.builder.snapshot({
	"models": [
		data.almguard.test.builder.model_with_version({"risk_tier": "minimal"}, {"stage": "production"}),
		data.almguard.test.builder.model_with_version({"name": "untiered"}, {"stage": "production"}),
	],
	"deployments": deployments,
})

_deployment(monitoring) := data.almguard.test.builder.deployment({"monitoring": monitoring})

# The baseline metrics required of each risk tier (policy data).
_baselines(high, limited, minimal) := {"high": high, "limited": limited, "minimal": minimal}

_message(what) := {{
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": sprintf("Production deployment 'ep/m@1.0.0' %s", [what]),
}}

test_fully_monitored_deployment_passes if {
	count(rule.deny) == 0 with input as _snapshot([_deployment(_full)])
}

test_missing_monitoring_is_one_finding if {
	deployment := object.remove(_deployment({}), ["monitoring"])
	rule.deny == _message("has no monitoring configured") with input as _snapshot([deployment])
}

test_empty_monitoring_is_one_finding if {
	rule.deny == _message("has no monitoring configured") with input as _snapshot([_deployment({})])
}

test_missing_baseline_fails if {
	monitoring := object.remove(_full, ["baseline_metrics"])
	rule.deny == _message("has no baseline metrics") with input as _snapshot([_deployment(monitoring)])
}

test_empty_baseline_fails if {
	monitoring := object.union(object.remove(_full, ["baseline_metrics"]), {"baseline_metrics": {}})
	rule.deny == _message("has no baseline metrics") with input as _snapshot([_deployment(monitoring)])
}

test_missing_alert_thresholds_fails if {
	monitoring := object.remove(_full, ["alert_thresholds"])
	rule.deny == _message("has no alert thresholds") with input as _snapshot([_deployment(monitoring)])
}

test_empty_alert_thresholds_fails if {
	monitoring := object.union(object.remove(_full, ["alert_thresholds"]), {"alert_thresholds": {}})
	rule.deny == _message("has no alert thresholds") with input as _snapshot([_deployment(monitoring)])
}

test_drift_detection_false_fails if {
	monitoring := object.union(_full, {"drift_detection": false})
	rule.deny == _message("does not have drift detection enabled") with input as _snapshot([_deployment(monitoring)])
}

test_drift_detection_absent_fails if {
	monitoring := object.remove(_full, ["drift_detection"])
	rule.deny == _message("does not have drift detection enabled") with input as _snapshot([_deployment(monitoring)])
}

test_each_missing_piece_is_its_own_finding if {
	gaps := _message("has no baseline metrics") | _message("has no alert thresholds")
	findings := gaps | _message("does not have drift detection enabled")
	rule.deny == findings with input as _snapshot([_deployment({"drift_detection": false})])
}

test_alert_threshold_without_baseline_is_not_a_finding if {
	monitoring := object.union(_full, {"alert_thresholds": {"error_rate": 0.01}})
	count(rule.deny) == 0 with input as _snapshot([_deployment(monitoring)])
}

test_deployment_without_traffic_is_not_judged if {
	deployment := object.union(_deployment({}), {"traffic_percent": 0})
	count(rule.deny) == 0 with input as _snapshot([deployment])
}

test_staging_deployment_is_not_judged if {
	deployment := object.union(_deployment({}), {"environment": "staging"})
	count(rule.deny) == 0 with input as _snapshot([deployment])
}

test_deployment_of_missing_version_is_still_judged if {
	# Missing monitoring is a fault of the deployment itself, not a consequence of the bad link.
	deployment := object.union(_deployment({}), {"model": "ghost", "version": "9.9.9"})
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/ghost@9.9.9"},
		"message": "Production deployment 'ep/ghost@9.9.9' has no monitoring configured",
	}} with input as _snapshot([deployment])
}

test_required_baseline_metric_missing_fails if {
	rule.deny == _message("has no baseline for metric 'f1'") with input as _snapshot([_deployment(_full)])
		with data.almguard.config.monitoring.required_baseline_metrics as _baselines([], [], ["auc", "f1"])
}

test_required_baseline_metrics_are_read_by_tier if {
	count(rule.deny) == 0 with input as _snapshot([_deployment(_full)])
		with data.almguard.config.monitoring.required_baseline_metrics as _baselines(["f1"], ["f1"], ["auc"])
}

test_model_without_tier_uses_high_required_metrics if {
	deployment := object.union(_deployment(_full), {"model": "untiered"})
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/untiered@1.0.0"},
		"message": "Production deployment 'ep/untiered@1.0.0' has no baseline for metric 'f1'",
	}} with input as _snapshot([deployment])
		with data.almguard.config.monitoring.required_baseline_metrics as _baselines(["f1"], [], [])
}

test_required_metrics_not_reported_when_baseline_is_empty if {
	monitoring := object.remove(_full, ["baseline_metrics"])
	rule.deny == _message("has no baseline metrics") with input as _snapshot([_deployment(monitoring)])
		with data.almguard.config.monitoring.required_baseline_metrics as _baselines(["f1"], ["f1"], ["f1"])
}
