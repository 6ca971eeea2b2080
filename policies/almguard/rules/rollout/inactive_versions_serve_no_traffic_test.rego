package almguard.rules.rollout.inactive_versions_serve_no_traffic_test

import rego.v1

import data.almguard.rules.rollout.inactive_versions_serve_no_traffic as rule

_snapshot(version, deployments) := data.almguard.test.builder.snapshot({
	"models": [data.almguard.test.builder.model({"versions": [version]})],
	"deployments": deployments,
})

_deployment(traffic) := data.almguard.test.builder.deployment({"traffic_percent": traffic})

_retirement(at) := {"retired_at": at, "reason": "superseded", "record_uri": "https://records/1"}

test_production_version_serving_passes if {
	count(rule.deny) == 0 with input as _snapshot({"version": "1.0.0", "stage": "production"}, [_deployment(100)])
}

test_retired_version_serving_fails if {
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' serves traffic from version 'm@1.0.0', which is retired",
	}} with input as _snapshot({"version": "1.0.0", "stage": "retired"}, [_deployment(100)])
}

test_archived_version_serving_fails if {
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' serves traffic from version 'm@1.0.0', which is archived",
	}} with input as _snapshot({"version": "1.0.0", "stage": "archived"}, [_deployment(5)])
}

test_archived_version_without_traffic_passes if {
	count(rule.deny) == 0 with input as _snapshot({"version": "1.0.0", "stage": "archived"}, [_deployment(0)])
}

test_retirement_taking_effect_now_fails if {
	version := {"version": "1.0.0", "stage": "production", "retirement": _retirement("2026-11-20T08:00:00Z")}
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' serves traffic from version 'm@1.0.0', which is retired",
	}} with input as _snapshot(version, [_deployment(100)])
}

test_retirement_planned_one_second_later_passes if {
	version := {"version": "1.0.0", "stage": "production", "retirement": _retirement("2026-11-20T08:00:01Z")}
	count(rule.deny) == 0 with input as _snapshot(version, [_deployment(100)])
}

test_archived_version_with_retirement_record_gives_one_finding if {
	version := {"version": "1.0.0", "stage": "archived", "retirement": _retirement("2026-01-01T00:00:00Z")}
	rule.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' serves traffic from version 'm@1.0.0', which is archived",
	}} with input as _snapshot(version, [_deployment(100)])
}

test_non_production_environment_counts_too if {
	deployment := object.union(_deployment(100), {"environment": "development"})
	count(rule.deny) == 1 with input as _snapshot({"version": "1.0.0", "stage": "retired"}, [deployment])
}

test_deployment_of_missing_version_is_skipped if {
	deployment := object.union(_deployment(100), {"version": "9.9.9"})
	count(rule.deny) == 0 with input as _snapshot({"version": "1.0.0", "stage": "retired"}, [deployment])
}

test_inactive_stages_override if {
	count(rule.deny) == 0 with input as _snapshot({"version": "1.0.0", "stage": "archived"}, [_deployment(100)])
		with data.almguard.config.rollout.inactive_stages as ["retired"]
}
