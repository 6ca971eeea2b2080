package almguard.rules.safety.safety_evaluation_test

import rego.v1

import data.almguard.rules.safety.safety_evaluation

_snapshot(type, evaluations, deployments) := _with_model(_model(type, evaluations), deployments)

_with_model(model, deployments) := data.almguard.test.builder.snapshot({"models": [model], "deployments": deployments})

_model(type, evaluations) := data.almguard.test.builder.model_with_version(
	{"risk_tier": "high", "type": type},
	{"safety_evaluations": evaluations},
)

_deployment := data.almguard.test.builder.deployment({"deployed_at": "2026-10-03T10:00:00Z"})

_undated_deployment := object.remove(_deployment, ["deployed_at"])

_passed(suite, at) := {"suite": suite, "passed": true, "evaluated_at": at}

_never := {
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": "Deployment 'ep/m@1.0.0' serves version 'm@1.0.0', which has no passed safety evaluation",
}

_late := {
	"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
	"message": "Deployment 'ep/m@1.0.0' has no passed safety evaluation dated at or before its deployed_at",
}

_suites := {"high": ["jailbreak", "harmful_content"], "limited": [], "minimal": []}

test_passed_evaluation_before_deployment_passes if {
	evaluations := [_passed("red-team", "2026-10-01T10:00:00Z")]
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", evaluations, [_deployment])
}

test_passed_evaluation_at_the_same_instant_passes if {
	evaluations := [_passed("red-team", "2026-10-03T10:00:00Z")]
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", evaluations, [_deployment])
}

test_passed_evaluation_one_second_after_deployment_fails if {
	evaluations := [_passed("red-team", "2026-10-03T10:00:01Z")]
	safety_evaluation.deny == {_late} with input as _snapshot("agent", evaluations, [_deployment])
}

test_times_compare_across_offsets if {
	# 11:00+02:00 is 09:00Z, before the 10:00Z deployment.
	evaluations := [_passed("red-team", "2026-10-03T11:00:00+02:00")]
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", evaluations, [_deployment])
}

test_no_safety_evaluation_fails if {
	safety_evaluation.deny == {_never} with input as _snapshot("foundation", [], [_deployment])
}

test_missing_safety_evaluations_field_fails if {
	model := {"name": "m", "risk_tier": "high", "type": "agent", "versions": [{"version": "1.0.0"}]}
	safety_evaluation.deny == {_never} with input as _with_model(model, [_deployment])
}

test_only_failed_evaluations_fail if {
	evaluations := [{"suite": "red-team", "passed": false, "evaluated_at": "2026-10-01T10:00:00Z"}]
	safety_evaluation.deny == {_never} with input as _snapshot("fine_tuned", evaluations, [_deployment])
}

test_undated_passed_evaluation_cannot_prove_the_order if {
	evaluations := [{"suite": "red-team", "passed": true}]
	safety_evaluation.deny == {_late} with input as _snapshot("agent", evaluations, [_deployment])
}

test_failed_before_and_passed_after_deployment_is_late if {
	evaluations := [
		{"suite": "red-team", "passed": false, "evaluated_at": "2026-10-01T10:00:00Z"},
		_passed("red-team", "2026-10-05T10:00:00Z"),
	]
	safety_evaluation.deny == {_late} with input as _snapshot("agent", evaluations, [_deployment])
}

test_deployment_without_deployed_at_needs_any_passed_evaluation if {
	evaluations := [{"suite": "red-team", "passed": true}]
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", evaluations, [_undated_deployment])
	safety_evaluation.deny == {_never} with input as _snapshot("agent", [], [_undated_deployment])
}

test_custom_model_is_not_checked if {
	count(safety_evaluation.deny) == 0 with input as _snapshot("custom", [], [_deployment])
}

test_model_without_type_is_not_checked if {
	model := object.remove(_model("agent", []), ["type"])
	count(safety_evaluation.deny) == 0 with input as _with_model(model, [_deployment])
}

test_generative_types_come_from_shared_config if {
	safety_evaluation.deny == {_never} with input as _snapshot("custom", [], [_deployment])
		with data.almguard.config.generative_types as ["custom"]
}

test_each_serving_deployment_is_checked if {
	staging := object.union(_deployment, {
		"endpoint": "ep-staging",
		"environment": "staging",
		"deployed_at": "2026-09-01T10:00:00Z",
	})
	evaluations := [_passed("red-team", "2026-10-01T10:00:00Z")]
	safety_evaluation.deny == {{
		"resource": {"kind": "deployment", "id": "ep-staging/m@1.0.0"},
		"message": "Deployment 'ep-staging/m@1.0.0' has no passed safety evaluation dated at or before its deployed_at",
	}} with input as _snapshot("agent", evaluations, [_deployment, staging])
}

test_deployment_without_traffic_is_not_checked if {
	deployment := object.union(_deployment, {"traffic_percent": 0})
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", [], [deployment])
}

test_deployment_of_unknown_version_is_skipped if {
	deployment := object.union(_deployment, {"version": "9.9.9"})
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", [], [deployment])
}

test_required_suites_all_passed_before_deployment_pass if {
	evaluations := [_passed("jailbreak", "2026-10-01T10:00:00Z"), _passed("harmful_content", "2026-10-03T10:00:00Z")]
	count(safety_evaluation.deny) == 0 with input as _snapshot("agent", evaluations, [_deployment])
		with data.almguard.config.safety.required_suites as _suites
}

test_required_suites_missing_or_late_are_named_in_one_finding if {
	evaluations := [
		_passed("jailbreak", "2026-10-03T10:00:01Z"),
		_passed("other", "2026-10-01T10:00:00Z"),
		{"suite": "harmful_content", "passed": false, "evaluated_at": "2026-10-01T10:00:00Z"},
	]
	safety_evaluation.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' has no passed safety evaluation of suite 'harmful_content', 'jailbreak' dated at or before its deployed_at",
	}} with input as _snapshot("agent", evaluations, [_deployment])
		with data.almguard.config.safety.required_suites as _suites
}

test_required_suite_without_deployed_at_needs_a_passed_run if {
	evaluations := [{"suite": "jailbreak", "passed": true}]
	safety_evaluation.deny == {{
		"resource": {"kind": "deployment", "id": "ep/m@1.0.0"},
		"message": "Deployment 'ep/m@1.0.0' has no passed safety evaluation of suite 'harmful_content' on record",
	}} with input as _snapshot("agent", evaluations, [_undated_deployment])
		with data.almguard.config.safety.required_suites as _suites
}

test_required_suites_follow_the_risk_tier if {
	model := object.union(_model("agent", [_passed("x", "2026-10-01T10:00:00Z")]), {"risk_tier": "limited"})
	count(safety_evaluation.deny) == 0 with input as _with_model(model, [_deployment])
		with data.almguard.config.safety.required_suites as _suites
}
