# METADATA
# title: An endpoint's traffic shares add up to at most 100 %
# description: >-
#   The traffic_percent of all deployments on one endpoint (serving or not, whatever version
#   they name) must not add up to more than 100 %. Totals up to 100 plus a small rounding
#   allowance (traffic_total_tolerance_percent) pass, so 33.3 + 33.3 + 33.4 is not a finding.
#   An endpoint whose total is below 100 % is not a finding.
# custom:
#   id: ALM-ROLL-002
#   severity: medium
#   category: rollout
#   remediation: >-
#     Correct the traffic split of the endpoint so that its deployments' shares add up to at
#     most 100 %, and make the registry record the split actually configured on the endpoint.
#   controls:
#     - "ISO/IEC 42001 A.6.2.5"
#     - "NIST AI RMF GOVERN 1.6"
#   alm_rule: An endpoint's traffic does not exceed 100 % in total.
package almguard.rules.rollout.endpoint_traffic_total

import rego.v1

import data.almguard.lib.snapshot

deny contains finding if {
	limit := 100 + data.almguard.config.rollout.traffic_total_tolerance_percent
	some endpoint, deployments in snapshot.deployments_by_endpoint
	total := sum([deployment.traffic_percent | some deployment in deployments])
	total > limit
	finding := {
		"resource": {"kind": "endpoint", "id": endpoint},
		"message": sprintf("The traffic shares of the deployments on endpoint '%s' add up to more than 100 %%", [endpoint]),
	}
}
