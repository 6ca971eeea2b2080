# METADATA
# title: Artifacts are purged once the retention period has ended
# description: >-
#   Retention cuts both ways: when a version's retirement record sets retention_until and
#   records no artifacts_deleted_at, the snapshot's captured_at must not be later than the end
#   of the retention period plus artifact_grace_days for the model's risk tier. Exactly at the
#   end of the grace period passes; one second later fails. The end of the retention period is
#   the later of retention_until and retired_at + min_retention_days, so that a retention_until
#   shorter than the minimum (the retention period rule's finding) never leads to advice to
#   purge what must still be kept. A record without retention_until is the retention period
#   rule's business and is not judged here.
# custom:
#   id: ALM-RETAIN-003
#   severity: medium
#   category: retention
#   remediation: >-
#     Purge the version's artifacts (weights, packages, configuration artifacts) and record
#     artifacts_deleted_at in the retirement record, or extend retention_until with the reason
#     for keeping them.
#   controls:
#     - "NIST AI RMF GOVERN 1.7"
#   alm_rule: >-
#     Artifacts still present long after the retention period ended (configurable grace) are a
#     finding too: retention cuts both ways.
package almguard.rules.retention.artifacts_kept_past_retention

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	config := data.almguard.config.retention
	now_ns := snapshot.now_ns
	some id, retired in snapshot.retirements
	retirement := retired.retirement
	not retirement.artifacts_deleted_at
	tier := retired.entry.tier
	minimum_end := data.almguard.lib.time.ns(retirement.retired_at) + (config.min_retention_days[tier] * 86400000000000)
	end := max([data.almguard.lib.time.ns(retirement.retention_until), minimum_end])
	grace_days := config.artifact_grace_days[tier]
	now_ns > end + (grace_days * 86400000000000)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Artifacts of version '%s' are still kept more than %v days after the end of their retention period",
			[id, grace_days],
		),
	}
}
