# METADATA
# title: Artifacts were not purged before the retention period ended
# description: >-
#   When a version's retirement record has both artifacts_deleted_at and retention_until, the
#   artifacts must not have been purged before retention_until. A purge exactly at
#   retention_until passes; one second earlier fails. The recorded retention_until is the
#   measure: a retention_until shorter than the tier's minimum, or missing, is the retention
#   period rule's finding, not this one's.
# custom:
#   id: ALM-RETAIN-002
#   severity: high
#   category: retention
#   remediation: >-
#     Restore the artifacts from backup if possible and keep them until retention_until; record
#     the early purge and its cause in the retirement record, and fix the purge job so that it
#     honours retention_until.
#   controls:
#     - "EU AI Act Art. 18"
#     - "NIST AI RMF GOVERN 1.7"
#   alm_rule: Artifacts were not purged before the retention period ended.
package almguard.rules.retention.artifacts_not_purged_early

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	some id, retired in snapshot.retirements
	retirement := retired.retirement
	data.almguard.lib.time.ns(retirement.artifacts_deleted_at) < data.almguard.lib.time.ns(retirement.retention_until)
	finding := {
		"resource": {"kind": "model_version", "id": id},
		"message": sprintf(
			"Artifacts of version '%s' were purged at %s, before the end of their retention period at %s",
			[id, retirement.artifacts_deleted_at, retirement.retention_until],
		),
	}
}
