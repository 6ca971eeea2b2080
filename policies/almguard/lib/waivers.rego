# METADATA
# title: Waivers, checked and applied by the snapshot's clock
# description: >-
#   A waiver accepts one rule's findings on matching resources for a while. It must name a
#   rule of the catalog, a resource (an exact id, or a pattern where `*` is any run of
#   characters and `?` one character), a justification and an approver (not blank, and not
#   made only of invisible characters), approved_at and expires_at (RFC 3339, expiry after
#   approval, at most data.almguard.config.waivers.max_duration_days apart). It is in force
#   from its approval to its expiry: a waiver approved after the snapshot's clock is
#   pending, one that expired is expired, and neither waives anything. Call these functions
#   by full path: the embedded engine does not resolve functions through imports.
package almguard.lib.waivers

import rego.v1

_fields := {"rule_id", "resource", "justification", "approved_by", "approved_at", "expires_at"}

_texts := ["rule_id", "resource", "justification", "approved_by"]

_max_days := data.almguard.config.waivers.max_duration_days

_not_a_time := "must be an RFC 3339 time with a zone, such as 2026-11-20T08:00:00Z"

# The input errors of a waiver list ({path, message}); none for an absent list.
errors(waivers) := set() if {
	not is_array(waivers)
} else := _list_errors(waivers)

# (The embedded engine does not schedule a comprehension right after `else :=`.)
_list_errors(waivers) := {e |
	some i, waiver in waivers
	some e in _errors(waiver, sprintf("waivers[%d]", [i]))
}

_errors(waiver, path) := {{"path": path, "message": "a waiver is a mapping"}} if {
	not is_object(waiver)
} else := (((unknown | missing) | texts) | times) | _order(waiver, path) if {
	unknown := {{"path": concat(".", [path, key]), "message": "unknown field"} |
		some key, _ in waiver
		not key in _fields
	}
	missing := {{"path": concat(".", [path, key]), "message": "required field missing"} |
		some key in _fields
		not key in object.keys(waiver)
	}
	texts := {{"path": concat(".", [path, key]), "message": message} |
		some key in _texts
		value := object.get(waiver, key, "")
		key in object.keys(waiver)
		message := _text_error(key, value)
	}
	times := {{"path": concat(".", [path, key]), "message": _not_a_time} |
		some key in ["approved_at", "expires_at"]
		key in object.keys(waiver)
		not data.almguard.lib.time.valid(waiver[key])
	}
}

_text_error(_, value) := "must be a string" if not is_string(value)

_text_error(_, value) := "must not be blank" if data.almguard.lib.text.blank(value)

_text_error("rule_id", value) := sprintf("unknown rule '%s' (almguard rules lists the catalog)", [value]) if {
	data.almguard.lib.text.present(value)
	not data.almguard.catalog.rules[value]
}

_order(waiver, path) := {{"path": concat(".", [path, "expires_at"]), "message": message}} if {
	data.almguard.lib.time.valid(object.get(waiver, "approved_at", null))
	data.almguard.lib.time.valid(object.get(waiver, "expires_at", null))
	approved := data.almguard.lib.time.ns(waiver.approved_at)
	expires := data.almguard.lib.time.ns(waiver.expires_at)
	message := _order_error(approved, expires)
} else := set()

_order_error(approved, expires) := "expires_at must be after approved_at" if expires <= approved

_order_error(approved, expires) := sprintf(
	"waiver lasts longer than the allowed %v days (policy data almguard.config.waivers.max_duration_days)",
	[_max_days],
) if {
	expires > approved
	expires - approved > _max_days * data.almguard.lib.time.day_ns
}

# A waiver's state: pending if approved after the snapshot's capture (now), expired by the
# expiry clock (the capture, or a later waivers_at), else active.
state(waiver, now, clock) := "pending" if {
	data.almguard.lib.time.ns(waiver.approved_at) > now
} else := "expired" if {
	data.almguard.lib.time.ns(waiver.expires_at) <= clock
} else := "active"

# The resource pattern as an anchored regular expression: `*` any run, `?` one character,
# everything else literal.
pattern(resource) := concat("", ["^(?s:", _wildcards(regex.replace(resource, `[\\.+()|^$\[\]{}]`, `\$0`)), ")$"])

# `*` and `?` of an escaped pattern as regular expression.
_wildcards(escaped) := replace(replace(escaped, "*", ".*"), "?", ".")

matches(waiver, finding) if {
	waiver.rule_id == finding.rule_id
	regex.match(pattern(waiver.resource), finding.resource.id)
}

# The index of the first waiver in force that covers a finding, or null.
waiver_for(finding, waivers, now, clock) := min(candidates) if {
	is_array(waivers)
	candidates := {i |
		some i, waiver in waivers
		waiver.rule_id == finding.rule_id
		state(waiver, now, clock) == "active"
		matches(waiver, finding)
	}
	count(candidates) > 0
} else := null

# How a waiver is shown on the finding it covers and in the report.
shown(waiver) := {key: waiver[key] | some key in _fields}

# The waiver block of a decision: how many findings are waived, which waivers are expired
# or pending, and which waivers in force match no finding (stale waivers to remove).
report(waivers, raw, findings, now, clock) := {
	"applied": applied,
	"expired": expired,
	"pending": pending,
	"unmatched": unmatched,
} if {
	applied := count([f | some f in findings; f.waived])
	expired := [shown(w) | some w in waivers; state(w, now, clock) == "expired"]
	pending := [shown(w) | some w in waivers; state(w, now, clock) == "pending"]
	unmatched := [shown(w) |
		some w in waivers
		state(w, now, clock) == "active"
		not _matches_any(w, raw)
	]
}

_matches_any(waiver, raw) if {
	some finding in raw
	matches(waiver, finding)
}
