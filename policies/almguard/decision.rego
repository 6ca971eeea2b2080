# METADATA
# title: The decision
# description: >-
#   The one entrypoint: data.almguard.decision. Every verdict almguard shows (scan, gate,
#   report, lineage, the service) is read from this document, and a platform team's own
#   OPA serving the bundle answers it the same way. Its input is a snapshot-v1 document, or
#   a decision request (see docs/decision.md). A document that is not snapshot-v1 gives
#   errors, no findings and the verdict "error", never a pass.
# entrypoint: true
package almguard.decision

import rego.v1

# Why the input could not be judged ({path, message}); empty when it was.
errors := data.almguard.lib.decision.errors

# Every finding: rule_id, title, category, severity, resource, message, remediation,
# controls, waived (and the waiver), sorted by severity, rule, resource and message; in a
# gate each also says whether it blocks the proposal.
findings := data.almguard.lib.decision.findings

# Counts and the verdict: "pass", "fail" (an unwaived finding at or above fail_on, or a
# gate that denies) or "error".
summary := data.almguard.lib.decision.summary

# Allowed: the verdict is "pass". Anything else, an error included, is not.
default allow := false

allow if data.almguard.lib.decision.verdict == "pass"

# The waivers given: how many findings they waive, which are expired or pending, and
# which waivers in force match nothing.
waivers := data.almguard.lib.decision.waiver_report

# A gate's answer, when the request carries a proposal: allow or deny, the proposal, the
# checklist of every gate rule about it, and how many findings elsewhere do not block.
gate := data.almguard.lib.decision.gate
