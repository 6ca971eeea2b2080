# METADATA
# title: Helpers of the approval rules
# description: >-
#   Approvals of a model version by stage. Call these functions by full path
#   (data.almguard.lib.approval.f): the embedded engine does not resolve functions through
#   imports.
package almguard.lib.approval

import rego.v1

# Whether obj[key] holds a time string (absent is "not recorded").
has_time(obj, key) if is_string(object.get(obj, key, null))

# Whether a model version has an approval (dated or not) for one stage. An approval by
# nobody (a blank or invisible approved_by) is none.
approved_for(version, stage) if {
	some approval in object.get(version, "approvals", [])
	approval.stage == stage
	data.almguard.lib.text.present(approval.approved_by)
}

# When a model version was approved for one stage (nanoseconds; undated approvals and
# approvals by nobody left out).
times(version, stage) := {data.almguard.lib.time.ns(approval.approved_at) |
	some approval in object.get(version, "approvals", [])
	approval.stage == stage
	has_time(approval, "approved_at")
	data.almguard.lib.text.present(approval.approved_by)
}
