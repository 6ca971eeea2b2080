# METADATA
# title: almguard for conftest
# description: >-
#   conftest reads deny and warn of package main. Every finding of almguard's decision
#   (data.almguard.decision) is one message that starts with its rule id: deny when it
#   fails the verdict (unwaived, at or above fail_on), warn otherwise (waived, or below
#   fail_on). An input the decision cannot judge (not a snapshot-v1 document) is a deny per
#   error, never a pass. Nothing is decided here: it only restates the decision.
#   Use: conftest test snapshot.json --policy DIR --data DIR, with DIR written by
#   `almguard bundle build --conftest DIR`.
# entrypoint: true
package main

import rego.v1

deny contains message if {
	some finding in data.almguard.decision.findings
	finding.blocking
	message := _message(finding)
}

deny contains message if {
	some error in data.almguard.decision.errors
	message := sprintf("ALM-INPUT %s: %s", [error.path, error.message])
}

warn contains message if {
	some finding in data.almguard.decision.findings
	not finding.blocking
	message := _message(finding)
}

_message(finding) := sprintf("%s %s %s %s: %s (%s)", [
	finding.rule_id, finding.severity, finding.resource.kind, finding.resource.id,
	finding.message, _state(finding),
])

_state(finding) := "waived" if finding.waived

else := finding.remediation
