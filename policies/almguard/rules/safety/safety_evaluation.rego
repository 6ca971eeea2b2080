# METADATA
# title: Generative versions pass a safety evaluation before they serve
# description: >-
#   The safety gate: every deployment with traffic_percent > 0 (any environment) of a version
#   whose model type is in data.almguard.config.generative_types (agent, fine_tuned,
#   foundation) needs a safety evaluation with passed true and evaluated_at at or before the
#   deployment's deployed_at (the same instant counts as before; one second later does not; an
#   undated evaluation cannot prove the order). A deployment without deployed_at has no start
#   to compare with, so any passed safety evaluation satisfies it. When the tier lists required
#   suites (data.almguard.config.safety.required_suites), each of them needs such a passed
#   evaluation; an empty list means any suite. One finding per deployment: "no passed safety
#   evaluation at all" and "none dated before the deployment" are distinct messages. Models
#   without a type are not treated as generative. Deployments naming an unknown version are
#   left to the registry rule.
# custom:
#   id: ALM-SAFE-001
#   severity: high
#   category: safety
#   remediation: >-
#     Run the content-safety / red-team suites against the version, record them under
#     safety_evaluations with passed true and evaluated_at, and take the version out of traffic
#     until they pass; evaluate before every new deployment.
#   controls:
#     - "EU AI Act Art. 9"
#     - "NIST AI RMF MEASURE 2.6"
#     - "ISO/IEC 42001 A.6.2.4"
#   alm_rule: >-
#     A version serving generative or agent workloads (type agent, fine_tuned, foundation) has
#     a passed safety evaluation dated before deployment.
package almguard.rules.safety.safety_evaluation

import rego.v1

# Any suite will do: no passed safety evaluation at all.
deny contains finding if {
	some id, serving in data.almguard.lib.safety.generative_serving
	count(data.almguard.lib.safety.required_suites(serving.entry.tier)) == 0
	not _passed_any(serving.entry.version)
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' serves version '%s', which has no passed safety evaluation",
			[id, serving.entry.id],
		),
	}
}

# Any suite will do: passed evaluations exist, none dated at or before deployed_at.
deny contains finding if {
	some id, serving in data.almguard.lib.safety.generative_serving
	count(data.almguard.lib.safety.required_suites(serving.entry.tier)) == 0
	_passed_any(serving.entry.version)
	not _passed_before(serving.entry.version, serving.deployment)
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf("Deployment '%s' has no passed safety evaluation dated at or before its deployed_at", [id]),
	}
}

# Required suites: each needs a passed evaluation (dated at or before deployed_at, if recorded).
deny contains finding if {
	some id, serving in data.almguard.lib.safety.generative_serving
	missing := {suite |
		some suite in data.almguard.lib.safety.required_suites(serving.entry.tier)
		not _suite_passed_before(serving.entry.version, serving.deployment, suite)
	}
	count(missing) > 0
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf("Deployment '%s' has no passed safety evaluation of suite %s %s", [
			id,
			data.almguard.lib.safety.quoted_list(missing),
			_when(serving.deployment),
		]),
	}
}

_when(deployment) := "dated at or before its deployed_at" if {
	data.almguard.lib.safety.has_time(deployment, "deployed_at")
}

_when(deployment) := "on record" if not data.almguard.lib.safety.has_time(deployment, "deployed_at")

_passed_any(version) if {
	some evaluation in object.get(version, "safety_evaluations", [])
	evaluation.passed == true
}

_passed_before(version, deployment) if {
	some evaluation in object.get(version, "safety_evaluations", [])
	_counts(evaluation, deployment)
}

_suite_passed_before(version, deployment, suite) if {
	some evaluation in object.get(version, "safety_evaluations", [])
	evaluation.suite == suite
	_counts(evaluation, deployment)
}

# A passed evaluation counts for a deployment without deployed_at ...
_counts(evaluation, deployment) if {
	evaluation.passed == true
	not data.almguard.lib.safety.has_time(deployment, "deployed_at")
}

# ... and for one with deployed_at when it is dated at or before it.
_counts(evaluation, deployment) if {
	evaluation.passed == true
	data.almguard.lib.safety.has_time(deployment, "deployed_at")
	data.almguard.lib.safety.has_time(evaluation, "evaluated_at")
	data.almguard.lib.time.ns(evaluation.evaluated_at) <= data.almguard.lib.time.ns(deployment.deployed_at)
}
