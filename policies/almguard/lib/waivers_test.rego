package almguard.lib.waivers_test

import rego.v1

_catalog := {"rules": {"ALM-REG-002": {
	"title": "t", "severity": "low", "category": "registry", "remediation": "r", "controls": [],
	"path": ["registry", "model_name"],
}}}

_waiver := {
	"rule_id": "ALM-REG-002", "resource": "Bad_*", "justification": "legacy name",
	"approved_by": "cro@contoso.com", "approved_at": "2026-11-01T00:00:00Z",
	"expires_at": "2026-12-01T00:00:00Z",
}

_errors(waiver) := {e.path: e.message | some e in data.almguard.lib.waivers.errors([waiver])}

# The errors of the waiver with the fields given laid over it.
_errors_with(fields) := _errors(object.union(_waiver, fields))

test_a_well_formed_waiver_has_no_errors if {
	count(_errors(_waiver)) == 0 with data.almguard.catalog as _catalog
}

test_invisible_or_blank_texts_are_refused if {
	errors := _errors_with({"justification": "\u200b", "approved_by": " \t"}) with data.almguard.catalog as _catalog
	errors == {"waivers[0].justification": "must not be blank", "waivers[0].approved_by": "must not be blank"}
	fillers := _errors_with({"justification": "\u115f\u1160", "approved_by": "\u3164\u2800\u034f\ufe0f"})
		with data.almguard.catalog as _catalog
	fillers == {"waivers[0].justification": "must not be blank", "waivers[0].approved_by": "must not be blank"}
}

test_unknown_rules_fields_and_missing_fields_are_refused if {
	waiver := object.union(object.remove(_waiver, ["approved_by"]), {"rule_id": "ALM-NOPE-1", "justifcation": "typo"})
	errors := _errors(waiver) with data.almguard.catalog as _catalog
	errors == {
		"waivers[0].rule_id": "unknown rule 'ALM-NOPE-1' (almguard rules lists the catalog)",
		"waivers[0].justifcation": "unknown field",
		"waivers[0].approved_by": "required field missing",
	}
}

test_expiry_must_follow_approval_within_the_maximum if {
	backwards := _errors_with({"expires_at": "2026-10-01T00:00:00Z"}) with data.almguard.catalog as _catalog
	backwards == {"waivers[0].expires_at": "expires_at must be after approved_at"}
	long := _errors_with({"expires_at": "2027-06-01T00:00:00Z"}) with data.almguard.catalog as _catalog
	startswith(long["waivers[0].expires_at"], "waiver lasts longer than the allowed 180 days")
	times := _errors_with({"approved_at": "yesterday"}) with data.almguard.catalog as _catalog
	times == {"waivers[0].approved_at": "must be an RFC 3339 time with a zone, such as 2026-11-20T08:00:00Z"}
}

test_a_waiver_is_a_mapping if {
	data.almguard.lib.waivers.errors(["x"]) == {{"path": "waivers[0]", "message": "a waiver is a mapping"}}
	data.almguard.lib.waivers.errors(null) == set()
}

test_state_follows_the_clock if {
	clock := data.almguard.lib.time.ns("2026-11-20T00:00:00Z")
	data.almguard.lib.waivers.state(_waiver, clock, clock) == "active"
	approved_later := object.union(_waiver, {"approved_at": "2026-11-21T00:00:00Z"})
	data.almguard.lib.waivers.state(approved_later, clock, clock) == "pending"
	expired := object.union(_waiver, {"expires_at": "2026-11-20T00:00:00Z"})
	data.almguard.lib.waivers.state(expired, clock, clock) == "expired"

	# a later expiry clock cannot make a waiver approved after the capture count
	later := data.almguard.lib.time.ns("2030-01-01T00:00:00Z")
	pending := object.union(_waiver, {"approved_at": "2026-11-21T00:00:00Z", "expires_at": "2031-01-01T00:00:00Z"})
	data.almguard.lib.waivers.state(pending, clock, later) == "pending"
}

_finding(id) := {"rule_id": "ALM-REG-002", "resource": {"kind": "model", "id": id}}

test_patterns_match_any_run_and_one_character_literally_otherwise if {
	data.almguard.lib.waivers.matches(object.union(_waiver, {"resource": "fraud-prod/*"}), _finding("fraud-prod/m@1.0.0"))
	data.almguard.lib.waivers.matches(object.union(_waiver, {"resource": "m@1.?.0"}), _finding("m@1.2.0"))
	not data.almguard.lib.waivers.matches(object.union(_waiver, {"resource": "m@1.0.0"}), _finding("m@1x0x0"))
	not data.almguard.lib.waivers.matches(object.union(_waiver, {"resource": "m@(1|2)"}), _finding("m@1"))
	not data.almguard.lib.waivers.matches(object.union(_waiver, {"rule_id": "ALM-LIN-001"}), _finding("Bad_Name"))
}
