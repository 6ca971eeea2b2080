# METADATA
# title: Production deployments went through a canary before full rollout
# description: >-
#   A production deployment whose traffic share is above the canary share (by the model's risk
#   tier, canary_max_percent) must show in its rollout history a canary step that lasted at least
#   the minimum duration (canary_min_duration_hours). A canary step is a rollout entry with
#   0 < traffic_percent <= the canary share, before any step above the share (a canary after a
#   full rollout does not count); it lasts from its `at` until the next rollout entry. A history
#   that ends at a canary step does not explain the current share above it, so it fails. Each
#   step is measured on its own: a step of exactly the minimum duration passes, one second less
#   fails. Time after the snapshot's clock does not count: a step ends at the capture at the
#   latest. A deployment above the share without any rollout history fails. The check is about the model version, so the
#   first deployment on a brand-new endpoint needs a canary too. Deployments at or below the
#   share, outside production, or naming a version the registry does not have (the registry
#   rule's business) are not judged.
# custom:
#   id: ALM-ROLL-001
#   severity: high
#   category: rollout
#   remediation: >-
#     Roll the version out in stages: serve it to at most the canary share of the endpoint's
#     traffic for at least the minimum duration, watch its monitoring, then raise the share; make
#     sure the deployment's rollout history records each step with its time.
#   controls:
#     - "ISO/IEC 42001 A.6.2.5"
#   alm_rule: >-
#     A production deployment above the canary share (e.g. > 10 %) shows in its rollout history a
#     canary step at or below that share that lasted at least the minimum duration (e.g. 24 h).
package almguard.rules.rollout.canary

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	config := data.almguard.config.rollout
	versions := snapshot.versions_by_id
	some deployment in object.get(input, "deployments", [])
	deployment.environment == "production"
	entry := versions[sprintf("%s@%s", [deployment.model, deployment.version])]
	tier := entry.tier
	max_percent := config.canary_max_percent[tier]
	deployment.traffic_percent > max_percent
	hours := config.canary_min_duration_hours[tier]
	not _has_canary(object.get(deployment, "rollout", []), max_percent, hours * 3600000000000)
	finding := {
		"resource": {"kind": "deployment", "id": data.almguard.lib.snapshot.deployment_id(deployment)},
		"message": sprintf(
			"Production deployment '%s' serves more than %v %% of traffic without a canary step at or below %v %% lasting at least %v hours in its rollout history",
			[data.almguard.lib.snapshot.deployment_id(deployment), max_percent, max_percent, hours],
		),
	}
}

# Some step of the rollout history is a canary that lasted at least min_ns, before the
# rollout first went above the canary share. A step ends when the next entry starts; the
# last step cannot be the canary here, since the deployment now serves more than the
# share and the history would not say when it went up.
_has_canary(rollout, max_percent, min_ns) if {
	some i, step in rollout
	step.traffic_percent > 0
	step.traffic_percent <= max_percent
	not _above_share_before(rollout, i, max_percent)
	_end_ns(rollout[i + 1].at) - data.almguard.lib.time.ns(step.at) >= min_ns
}

# A step ends when the next entry starts, and no later than the snapshot's clock: evidence
# ends at the capture (a step recorded in the future has not lasted yet).
_end_ns(next_at) := min([data.almguard.lib.time.ns(next_at), data.almguard.lib.snapshot.now_ns])

# The rollout went above the canary share at some step before step i.
_above_share_before(rollout, i, max_percent) if {
	some j, earlier in rollout
	j < i
	earlier.traffic_percent > max_percent
}
