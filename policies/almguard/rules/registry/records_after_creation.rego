# METADATA
# title: Records are not dated before the version exists
# description: >-
#   Nothing can happen to a model version before it is created: its approvals (approved_at),
#   evaluations, safety evaluations and bias assessments (evaluated_at) and its retirement
#   (retired_at) are dated at or after its created_at, and so are the deployments that serve it
#   (deployed_at) and the steps of their rollout history (at). A record dated earlier is
#   backdated or impossible, and the trail it belongs to cannot be trusted: one finding per
#   version (for its own records) and one per deployment (for the deployment and its rollout),
#   each naming the version's created_at and the date of every earlier record. The same
#   instant counts as after. A version without created_at, and undated records, give nothing
#   to compare; deployments naming an unknown version are ALM-REG-008's. Whether a deployment
#   predates its production approval is ALM-APPR-002's, and whether evaluations predate the
#   deployment ALM-EVAL-002's: such findings stay beside this one, since a backdated record
#   leaves the order unproven either way.
# custom:
#   id: ALM-REG-010
#   severity: high
#   category: registry
#   remediation: >-
#     Find which date is wrong: correct the version's created_at if the registry recorded it
#     late, or the record's date if it was backdated; a record that really predates the version
#     belongs to another version (or to none) and must not be counted as this version's
#     evidence. Document the correction.
#   controls:
#     - "EU AI Act Art. 12"
#     - "ISO/IEC 42001 A.6.2.8"
#     - "SR 11-7 §VI"
#     - "PRA SS1/23 Principle 2"
#   alm_rule: >-
#     Beyond the minimum catalog (issue 14): approvals, evaluations, safety evaluations, bias
#     assessments, deployments, rollout steps and the retirement of a version are not dated
#     before the version was created.
package almguard.rules.registry.records_after_creation

import rego.v1

import data.almguard.lib.snapshot

# The version's own records. The earliest of their instants is compared first, so that the
# records are described only for a version that has an early one (most have none).
deny contains finding if {
	some id, entry in snapshot.versions_by_id
	version := entry.version
	is_string(object.get(version, "created_at", null))
	created_ns := data.almguard.lib.time.ns(version.created_at)
	min([data.almguard.lib.time.ns(at) | some at in _version_times(version)]) < created_ns
	early := _version_records(version, created_ns)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Version '%s' has records dated before it was created at %s: %s",
			[id, version.created_at, concat("; ", sort(early))],
		),
	}
}

# The deployments that serve it.
deny contains finding if {
	versions := snapshot.versions_by_id
	some id, deployment in snapshot.deployments_by_id
	entry := versions[concat("@", [deployment.model, deployment.version])]
	is_string(object.get(entry.version, "created_at", null))
	created_ns := data.almguard.lib.time.ns(entry.version.created_at)
	min([data.almguard.lib.time.ns(at) | some at in _deployment_times(deployment)]) < created_ns
	early := _deployment_records(deployment, created_ns)
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf(
			"Deployment '%s' is dated before version '%s' was created at %s: %s",
			[id, entry.id, entry.version.created_at, concat("; ", sort(early))],
		),
	}
}

# Every recorded time of a version's own records, and of a deployment and its rollout.
_version_times(version) := array.concat(
	array.concat(
		[approval.approved_at | some approval in object.get(version, "approvals", [])],
		[evaluation.evaluated_at | some evaluation in object.get(version, "evaluations", [])],
	),
	array.concat(
		array.concat(
			[evaluation.evaluated_at | some evaluation in object.get(version, "safety_evaluations", [])],
			[assessment.evaluated_at | some assessment in object.get(version, "bias_assessments", [])],
		),
		[at | at := version.retirement.retired_at],
	),
)

_deployment_times(deployment) := array.concat(
	[at | at := deployment.deployed_at],
	[step.at | some step in object.get(deployment, "rollout", [])],
)

_version_records(version, created_ns) := records if {
	reviewed := _approvals(version, created_ns) | _evaluations(version, created_ns)
	assessed := _safety(version, created_ns) | _bias(version, created_ns)
	records := (reviewed | assessed) | _retirement(version, created_ns)
}

_approvals(version, created_ns) := {sprintf("'%s' approval at %s", [approval.stage, approval.approved_at]) |
	some approval in object.get(version, "approvals", [])
	_before(approval, "approved_at", created_ns)
}

_evaluations(version, created_ns) := {sprintf("'%s' evaluation at %s", [evaluation.metric, evaluation.evaluated_at]) |
	some evaluation in object.get(version, "evaluations", [])
	_before(evaluation, "evaluated_at", created_ns)
}

_safety(version, created_ns) := {sprintf("safety evaluation '%s' at %s", [evaluation.suite, evaluation.evaluated_at]) |
	some evaluation in object.get(version, "safety_evaluations", [])
	_before(evaluation, "evaluated_at", created_ns)
}

_bias(version, created_ns) := {sprintf("bias assessment '%s' at %s", [assessment.method, assessment.evaluated_at]) |
	some assessment in object.get(version, "bias_assessments", [])
	_before(assessment, "evaluated_at", created_ns)
}

_retirement(version, created_ns) := {sprintf("retirement at %s", [retirement.retired_at]) |
	retirement := object.get(version, "retirement", {})
	_before(retirement, "retired_at", created_ns)
}

_deployment_records(deployment, created_ns) := deployed | steps if {
	deployed := {sprintf("deployed_at %s", [deployment.deployed_at]) | _before(deployment, "deployed_at", created_ns)}
	steps := {sprintf("rollout step at %s", [step.at]) |
		some step in object.get(deployment, "rollout", [])
		_before(step, "at", created_ns)
	}
}

# Whether record[key] is a time before the version's creation (the same instant is not).
_before(record, key, created_ns) if {
	is_string(object.get(record, key, null))
	data.almguard.lib.time.ns(record[key]) < created_ns
}
