# METADATA
# title: Retired versions are kept at least the minimum retention period
# description: >-
#   A version's retirement record must set retention_until, and the period from retired_at to
#   retention_until must be at least min_retention_days for the model's risk tier (a model
#   without a tier is judged as high). Exactly the minimum passes; one second less fails.
#   A missing retention_until is one finding; a missing retired_at is the retirement-record
#   rule's business and is not judged here.
# custom:
#   id: ALM-RETAIN-001
#   severity: high
#   category: retention
#   remediation: >-
#     Set the retirement record's retention_until to at least the minimum retention period for
#     the model's risk tier after retired_at, and keep the artifacts and records until then.
#   controls:
#     - "EU AI Act Art. 18"
#     - "NIST AI RMF GOVERN 1.7"
#   alm_rule: Their retention period is at least the configured minimum for the risk tier.
package almguard.rules.retention.retention_period

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, retired in snapshot.retirements
	not retired.retirement.retention_until
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf("Retirement record of version '%s' sets no retention_until", [id]),
	}
}

deny contains finding if {
	min_retention_days := data.almguard.config.retention.min_retention_days
	some id, retired in snapshot.retirements
	retirement := retired.retirement
	tier := retired.entry.tier
	days := min_retention_days[tier]
	period := data.almguard.lib.time.ns(retirement.retention_until) - data.almguard.lib.time.ns(retirement.retired_at)
	period < days * 86400000000000
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Retirement record of version '%s' sets a retention period shorter than the %v days required for %s",
			[id, days, data.almguard.lib.snapshot.tier_phrase(retired.entry.model)],
		),
	}
}
