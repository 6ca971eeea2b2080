# METADATA
# title: A gate's proposal, checked before it is decided
# description: >-
#   The proposal of a pre-deployment gate names the model version, the endpoint, its
#   environment, the traffic share and the time of the deployment. Its time may not lie
#   after the snapshot's clock by more than data.almguard.config.gate.max_clock_skew_seconds:
#   evidence ends at the capture, and a gate cannot count time not yet recorded.
package almguard.lib.proposal

import rego.v1

_fields := {"model", "version", "endpoint", "environment", "traffic_percent", "at"}

# The proposal of the request being decided (null when it is not a gate).
_proposal := data.almguard.lib.decision.proposal

errors contains {"path": "proposal", "message": "must be a mapping"} if {
	_proposal != null
	not is_object(_proposal)
}

errors contains error if {
	is_object(_proposal)
	some error in _errors
}

# The gate categories come from policy data: an unknown category (a typo) or an empty list
# would let a gate ignore findings, so a gate is not decided with them.
errors contains {"path": "almguard.config.gate.gates", "message": message} if {
	_proposal != null
	not _gates_ok
	message := "policy data must list gate categories, each one of registry, lineage, evaluation, safety, approval, rollout, monitoring, retention, retirement, with a title"
}

_errors contains {"path": concat(".", ["proposal", key]), "message": "unknown field"} if {
	some key, _ in _proposal
	not key in _fields
}

_errors contains {"path": concat(".", ["proposal", key]), "message": "required field missing"} if {
	some key in _fields
	not key in object.keys(_proposal)
}

_errors contains {"path": concat(".", ["proposal", key]), "message": "must be a non-empty string"} if {
	some key in ["model", "version", "endpoint"]
	key in object.keys(_proposal)
	value := object.get(_proposal, key, "")
	not _text(value)
}

_errors contains {"path": "proposal.environment", "message": "must be one of development, staging, production"} if {
	"environment" in object.keys(_proposal)
	not _proposal.environment in {"development", "staging", "production"}
}

_errors contains {"path": "proposal.traffic_percent", "message": "must be a number more than 0 and at most 100"} if {
	"traffic_percent" in object.keys(_proposal)
	not _share(_proposal.traffic_percent)
}

_errors contains {"path": "proposal.at", "message": _not_a_time} if {
	"at" in object.keys(_proposal)
	not data.almguard.lib.time.valid(_proposal.at)
}

_errors contains {"path": "proposal.at", "message": message} if {
	data.almguard.lib.time.valid(object.get(_proposal, "at", null))
	data.almguard.lib.time.valid(object.get(data.almguard.lib.decision.registry, "captured_at", null))
	captured := data.almguard.lib.decision.registry.captured_at
	skew := data.almguard.config.gate.max_clock_skew_seconds
	data.almguard.lib.time.ns(_proposal.at) > data.almguard.lib.time.ns(captured) + (skew * 1000000000)
	message := sprintf(
		"%s is after the snapshot's capture (%s) by more than %v s: evidence ends at the capture; gate on a fresh snapshot (policy data almguard.config.gate.max_clock_skew_seconds)",
		[_proposal.at, captured, skew],
	)
}

_not_a_time := "must be an RFC 3339 time with a zone, such as 2026-11-20T08:00:00Z"

_text(value) if {
	is_string(value)
	count(value) > 0
}

_share(value) if {
	is_number(value)
	value > 0
	value <= 100
}

_gates_ok if {
	gates := data.almguard.config.gate.gates
	is_array(gates)
	count(gates) > 0
	every gate in gates {
		gate.category in data.almguard.lib.decision.categories
		is_string(gate.title)
	}
}
