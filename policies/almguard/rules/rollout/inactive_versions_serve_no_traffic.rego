# METADATA
# title: Archived and retired versions serve no traffic
# description: >-
#   A deployment with traffic_percent > 0, in any environment, must not name a version whose
#   stage is one of inactive_stages (archived, retired), nor a version whose retirement record
#   has a retired_at at or before the snapshot's captured_at (a retirement planned for later does
#   not count yet). One finding per deployment. Deployments naming a version the registry does
#   not have are the registry rule's business and are skipped.
# custom:
#   id: ALM-ROLL-003
#   severity: high
#   category: rollout
#   remediation: >-
#     Set the deployment's traffic to 0 % and remove it from the endpoint, or, if the version
#     must keep serving, correct its stage and retirement record after review.
#   controls:
#     - "NIST AI RMF GOVERN 1.7"
#     - "NIST AI RMF MANAGE 2.4"
#     - "ISO/IEC 42001 A.6.2.5"
#     - "SR 11-7 §VI"
#   alm_rule: Archived and retired versions serve no traffic.
package almguard.rules.rollout.inactive_versions_serve_no_traffic

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	inactive_stages := data.almguard.config.rollout.inactive_stages
	some id, serving in snapshot.serving_deployments
	status := _out_of_service(serving.entry, inactive_stages)
	finding := {
		"resource": {"kind": "deployment", "id": id},
		"message": sprintf("Deployment '%s' serves traffic from version '%s', which is %s", [id, serving.entry.id, status]),
	}
}

# Why a version is out of service: its stage, else a retirement that has taken effect.
_out_of_service(entry, inactive_stages) := entry.stage if {
	entry.stage in inactive_stages
} else := "retired" if {
	data.almguard.lib.time.ns(entry.version.retirement.retired_at) <= snapshot.now_ns
}
