# METADATA
# title: The decision, built from the findings of one or more partitions
# description: >-
#   Everything data.almguard.decision answers is computed here: the request read from the
#   input in any of its three forms, input errors, findings joined to the catalog, waivers
#   applied by the snapshot's clock, the summary with its verdict, and a gate's decision.
#   The input is (1) a snapshot-v1 document (waivers from data.almguard.waivers, fail_on
#   from data.almguard.config.decision); (2) a request {"snapshot", "waivers", "fail_on",
#   "proposal", "waivers_at"}; or (3) the same request with "parts" and "registry" instead
#   of "snapshot": the results of evaluating partitions of a large snapshot one by one
#   (data.almguard.lib.decision.part of each), merged here. All three give the same
#   decision for the same snapshot.
package almguard.lib.decision

import rego.v1

severities := ["critical", "high", "medium", "low"]

categories := [
	"registry", "lineage", "evaluation", "safety", "approval", "rollout", "monitoring",
	"retention", "retirement",
]

_rank := {"critical": 0, "high": 1, "medium": 2, "low": 3}

# The rule catalog (data.almguard.catalog.rules, from the rules' METADATA). Read through
# this rule: the embedded engine looks a data path up again on every use in a loop.
_catalog := data.almguard.catalog.rules

# ------------------------------------------------------------------------- the request

form := "parts" if {
	is_object(input)
	"parts" in object.keys(input)
} else := "request" if {
	is_object(input)
	"snapshot" in object.keys(input)
} else := "snapshot"

_request_fields := {
	"request": {"snapshot", "waivers", "fail_on", "proposal", "waivers_at"},
	"parts": {"parts", "registry", "waivers", "fail_on", "proposal", "waivers_at"},
}

# What a proposal is about, for form (3): input is {"snapshot", "proposal"}, the snapshot
# holding at least the proposal's model and the deployments on its endpoint (no rule is
# evaluated): the resources it is about, and an error unless the snapshot is the what-if
# (the proposed deployment in place, as almguard gate applies it).
relevance := {
	"relevant": relevant(input.snapshot, input.proposal),
	"errors": _unapplied(input.snapshot, input.proposal),
}

# One partition's evaluation, for form (3): the findings of input.snapshot and the
# resources a proposal is about.
part := object.union(result, {
	"relevant": relevant(snapshot, proposal),
	"errors": array.concat(result.errors, _unapplied(snapshot, proposal)),
}) if {
	form == "request"
	snapshot := input.snapshot

	# The rules judge a snapshot as their input; a request carries it as input.snapshot.
	# regal ignore:with-outside-test-context
	result := data.almguard.lib.findings.result with input as snapshot
}

# A gate judges the registry with the proposed deployment in it: a snapshot without it
# (the registry as it is) would be judged as if nothing were deployed, and could pass.
_unapplied(_, null) := []

_unapplied(snapshot, proposal) := [] if {
	proposal != null
	not _named(proposal)
} else := [] if {
	some d in object.get(snapshot, "deployments", [])
	d.endpoint == proposal.endpoint
	d.model == proposal.model
	d.version == proposal.version
	d.traffic_percent == proposal.traffic_percent
	d.environment == proposal.environment
} else := [{
	"path": "snapshot",
	"message": "the snapshot does not hold the proposed deployment: a gate judges the registry with the proposal applied (see docs/decision.md; almguard gate applies it)",
}] if {
	proposal != null
}

_parts := [data.almguard.lib.findings.result] if {
	form == "snapshot"
} else := [part] if {
	form == "request"
} else := input.parts if {
	is_array(input.parts)
} else := []

registry := input.registry if {
	form == "snapshot"
} else := input.snapshot.registry if {
	form == "request"
} else := input.registry

_param(key, fallback) := object.get(input, key, fallback) if {
	form != "snapshot"
} else := fallback

_data_waivers := waivers if {
	waivers := data.almguard.waivers
} else := null

waivers := _param("waivers", _data_waivers)

fail_on := _param("fail_on", object.get(data.almguard.config, ["decision", "fail_on"], "low"))

proposal := _param("proposal", null)

# The snapshot's clock: "now" of every rule. Waivers expire by it too, or by a later
# waivers_at (a service deciding today on a snapshot captured earlier); an earlier
# waivers_at cannot bring an expired waiver back, and a waiver approved after the capture
# is pending whatever waivers_at says (it can only make waivers expire).
now_ns := data.almguard.lib.time.ns(registry.captured_at)

waivers_ns := max([now_ns, data.almguard.lib.time.ns(input.waivers_at)]) if {
	form != "snapshot"
	data.almguard.lib.time.valid(object.get(input, "waivers_at", null))
} else := now_ns

# ------------------------------------------------------------------------- errors

# The request's own errors come first: a malformed proposal or waiver makes the what-if
# snapshot's errors noise.
errors := data.almguard.lib.schema.ordered(_own_errors) if {
	count(_own_errors) > 0
} else := data.almguard.lib.schema.ordered(_part_errors)

_own_errors := _request_errors | _merge_errors

_part_errors := {e | some p in _parts; some e in object.get(p, "errors", [])}

_request_errors contains {"path": key, "message": "unknown field of a decision request"} if {
	form != "snapshot"
	some key, _ in input
	not key in _request_fields[form]
}

_request_errors contains {"path": "fail_on", "message": "must be one of critical, high, medium, low"} if {
	not fail_on in severities
}

_request_errors contains {"path": "waivers_at", "message": "must be an RFC 3339 time with a zone"} if {
	form != "snapshot"
	"waivers_at" in object.keys(input)
	not data.almguard.lib.time.valid(input.waivers_at)
}

_request_errors contains {"path": "waivers", "message": "must be a list of waivers"} if {
	waivers != null
	not is_array(waivers)
}

_request_errors contains error if {
	some error in data.almguard.lib.waivers.errors(waivers)
}

_request_errors contains error if {
	some error in data.almguard.lib.proposal.errors
}

_merge_errors contains {"path": "parts", "message": "must be a non-empty list of partition results"} if {
	form == "parts"
	not _good_parts
}

_merge_errors contains {"path": "registry", "message": "must be the snapshot's registry, with a valid captured_at"} if {
	form == "parts"
	not data.almguard.lib.time.valid(object.get(object.get(input, "registry", {}), "captured_at", null))
}

_merge_errors contains {"path": "parts", "message": sprintf("finding of unknown rule '%s'", [rule_id])} if {
	form == "parts"
	some rule_id in (_part_rule_ids - {id | some id, _ in _catalog})
}

_part_rule_ids := {finding.rule_id |
	some p in _parts
	some finding in object.get(p, "findings", [])
}

_good_parts if {
	is_array(input.parts)
	count(input.parts) > 0
	every p in input.parts {
		is_object(p)
		is_array(object.get(p, "findings", null))
		is_array(object.get(p, "errors", null))
		is_object(object.get(p, "resources", null))
	}
}

ok if count(errors) == 0

# ------------------------------------------------------------------------- findings

# A finding is its rule, resource and message (a set: one finding however many parts
# repeat it); the rest is joined from the catalog and the waivers.
_raw contains {"rule_id": finding.rule_id, "resource": finding.resource, "message": finding.message} if {
	ok
	some p in _parts
	some finding in p.findings
}

_joined := [finding |
	some raw in _raw
	index := object.get(_waiver_index, [raw], null)
	blocks := _blocks[[raw.rule_id, [raw.resource.kind, raw.resource.id] in _relevant]]
	finding := _finding(raw, _catalog[raw.rule_id], index, blocks)
]

# The waiver in force for each finding a waiver covers (searched only when there are
# waivers: most decisions have none, and every finding would search them).
_waiver_index := _waivers_found if {
	is_array(waivers)
	count(waivers) > 0
} else := {}

# (A comprehension directly after `else :=` is not scheduled by the embedded engine.)
_waivers_found := {raw: index |
	some raw in _raw
	index := data.almguard.lib.waivers.waiver_for(raw, waivers, now_ns, waivers_ns)
	index != null
}

# Whether an unwaived finding of a rule blocks, by [rule id, about the proposal]: in a
# scan, at or above fail_on; in a gate, also of a gated category and about the proposal's
# resources. A table over the catalog, built once and looked up per finding.
_blocks := {[rule_id, about]: blocks |
	some rule_id, rule in _catalog
	some about in [false, true]
	blocks := _rule_blocks(rule, about)
}

_rule_blocks(rule, about) if {
	proposal == null
	_rank[rule.severity] <= _rank[fail_on]
} else if {
	proposal != null
	about
	_rank[rule.severity] <= _rank[fail_on]
	rule.category in _gate_categories
} else := false

# A finding joined to its rule: one object literal (cheaper than adding keys one by one).
# Each finding says whether it blocks: in a scan, whether it fails the verdict (unwaived,
# at or above fail_on); in a gate, whether it blocks the proposal (and is about it).
_finding(raw, rule, null, blocks) := {
	"rule_id": raw.rule_id, "title": rule.title, "category": rule.category,
	"severity": rule.severity, "resource": raw.resource, "message": raw.message,
	"remediation": rule.remediation, "controls": rule.controls, "waived": false,
	"blocking": blocks,
}

_finding(raw, rule, index, _) := {
	"rule_id": raw.rule_id, "title": rule.title, "category": rule.category,
	"severity": rule.severity, "resource": raw.resource, "message": raw.message,
	"remediation": rule.remediation, "controls": rule.controls, "waived": true,
	"waiver": data.almguard.lib.waivers.shown(waivers[index]), "blocking": false,
} if index != null

findings := [] if {
	not ok
} else := _sorted

_sorted := [entry[5] |
	some entry in sort([[_rank[f.severity], f.rule_id, f.resource.kind, f.resource.id, f.message, f] | some f in _joined])
]

# ------------------------------------------------------------------------- summary

_active := [f | some f in findings; not f.waived]

verdict := "error" if {
	not ok
} else := "fail" if {
	proposal != null
	gate.decision == "deny"
} else := "fail" if {
	proposal == null
	some f in findings
	f.blocking
} else := "pass"

summary := {
	"verdict": verdict,
	"fail_on": fail_on,
	"findings": count(_active),
	"waived": count(findings) - count(_active),
	"by_severity": {s: _active_with("severity", s) | some s in severities},
	"by_category": {c: _active_with("category", c) | some c in categories},
	"rules_evaluated": count(data.almguard.catalog.rules),
	"resources_checked": resources_checked,
}

# (A partial rule that matches nothing is undefined on the embedded engine, not empty:
# the counts are taken per key.)
_active_with(key, value) := count([f | some f in _active; f[key] == value])

resources_checked := _resource_count if {
	ok
} else := 0

_resource_count := sum([count(_checked(kind)) | some kind in _kinds]) + sum(_precounted)

_kinds := ["model", "model_version", "dataset", "deployment", "endpoint"]

# Resources a part gives as counts only ("resource_counts"), disjoint from every listed id:
# a gate on a stored registry sends the unchanged rest of the registry that way.
_precounted := [n |
	some p in _parts
	some n in object.get(p, "resource_counts", {})
	is_number(n)
]

# (Comprehensions nested in a comprehension that use its variables are not scheduled by
# the embedded engine: such inner parts are functions here.)
_checked(kind) := {id | some p in _parts; some id in object.get(p.resources, kind, [])}

# ------------------------------------------------------------------------- waivers

waiver_report := data.almguard.lib.waivers.report(waivers, _raw, findings, now_ns, waivers_ns) if {
	ok
	is_array(waivers)
	count(waivers) > 0
}

# ------------------------------------------------------------------------- gate

_gate_categories := {g.category | some g in data.almguard.config.gate.gates}

_relevant := {[kind, id] | some p in _parts; some [kind, id] in object.get(p, "relevant", [])}

# The resources a proposal is about: its deployment, model version, model and endpoint,
# and every dataset the version references.
relevant(_, null) := []

relevant(_, proposal) := [] if {
	proposal != null
	not _named(proposal)
}

relevant(snapshot, proposal) := sort(ids | datasets) if {
	is_object(proposal)
	is_string(proposal.model)
	is_string(proposal.version)
	is_string(proposal.endpoint)
	is_object(snapshot)
	version_id := concat("@", [proposal.model, proposal.version])
	ids := {
		["deployment", concat("/", [proposal.endpoint, version_id])],
		["model_version", version_id],
		["model", proposal.model],
		["endpoint", proposal.endpoint],
	}
	datasets := {["dataset", id] |
		some model in object.get(snapshot, "models", [])
		model.name == proposal.model
		some version in object.get(model, "versions", [])
		version.version == proposal.version
		some id in data.almguard.lib.snapshot.version_dataset_refs(version)
	}
}

_named(proposal) if {
	is_object(proposal)
	is_string(proposal.model)
	is_string(proposal.version)
	is_string(proposal.endpoint)
}

gate := {
	"decision": _gate_decision,
	"proposal": proposal,
	"checklist": _checklist,
	"unrelated_findings": count(_unrelated),
} if {
	ok
	proposal != null
}

_checklist := [check |
	some g in data.almguard.config.gate.gates
	some rule_id in _rules_of(g.category)
	check := _check(g.title, rule_id)
]

_unrelated := [f |
	some f in _active
	not [f.resource.kind, f.resource.id] in _relevant
]

_rules_of(category) := sort([id | some id, rule in data.almguard.catalog.rules; rule.category == category])

_gate_decision := "deny" if {
	some f in findings
	f.blocking
} else := "allow"

_check(title, rule_id) := {
	"gate": title,
	"rule_id": rule_id,
	"title": rule.title,
	"passed": count(active) == 0,
	"waived": _all_waived(about, active),
	"messages": messages,
	"remediation": rule.remediation,
} if {
	rule := data.almguard.catalog.rules[rule_id]
	about := [f | some f in _about_proposal; f.rule_id == rule_id]
	active := [f | some f in about; not f.waived]
	messages := [f.message | some f in about]
}

# The findings about the proposal's resources (few), which the checklist reads per rule.
_about_proposal := [f | some f in findings; [f.resource.kind, f.resource.id] in _relevant]

_all_waived(about, active) if {
	count(about) > 0
	count(active) == 0
} else := false
