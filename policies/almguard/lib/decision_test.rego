package almguard.lib.decision_test

import rego.v1

# A catalog of one rule (the naming convention), as almguard generates it from METADATA.
_catalog := {"rules": {"ALM-REG-002": {
	"title": "Model names follow the naming convention",
	"severity": "low",
	"category": "registry",
	"remediation": "Rename it.",
	"controls": ["NIST AI RMF GOVERN 1.6"],
	"path": ["registry", "model_name"],
}}}

# Models of the given names, with an owner and a risk tier and no versions.
_snapshot(names) := data.almguard.test.builder.snapshot({"models": [_model(name) | some name in names]})

_model(name) := {"name": name, "owner": "o", "risk_tier": "minimal"}

# The snapshot of one model named Bad_Name, judged with the given waivers.
_waived(waivers) := {"snapshot": _snapshot(["Bad_Name"]), "waivers": waivers}

_waiver(resource, approved, expires) := {
	"rule_id": "ALM-REG-002", "resource": resource, "justification": "legacy name, INC-1",
	"approved_by": "cro@contoso.com", "approved_at": approved, "expires_at": expires,
}

_decide(request) := decision if {
	decision := data.almguard.decision with input as request with data.almguard.catalog as _catalog
}

test_a_snapshot_is_judged_as_its_own_request if {
	decision := _decide(_snapshot(["Bad_Name", "good"]))
	decision.summary.verdict == "fail"
	[f.resource.id | some f in decision.findings] == ["Bad_Name"]
	decision.findings[0].title == "Model names follow the naming convention"
	decision.findings[0].blocking == true
	decision.allow == false
}

test_the_counts_name_every_severity_and_category_even_with_nothing_to_count if {
	decision := _decide(_waived([_waiver("Bad_*", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]))
	decision.summary.findings == 0
	decision.summary.by_severity == {"critical": 0, "high": 0, "medium": 0, "low": 0}
	object.keys(decision.summary.by_category) == {c | some c in data.almguard.lib.decision.categories}
	every n in decision.summary.by_category { n == 0 }
}

test_fail_on_above_the_severity_passes_with_the_finding_reported if {
	decision := _decide({"snapshot": _snapshot(["Bad_Name"]), "fail_on": "high"})
	decision.summary.verdict == "pass"
	decision.summary.findings == 1
	decision.findings[0].blocking == false
	decision.allow == true
}

test_a_waiver_in_force_waives_and_is_reported if {
	decision := _decide(_waived([_waiver("Bad_*", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]))
	decision.summary.verdict == "pass"
	decision.findings[0].waived == true
	decision.findings[0].waiver.approved_by == "cro@contoso.com"
	decision.waivers.applied == 1
}

test_a_waiver_approved_after_the_snapshot_is_pending_and_waives_nothing if {
	decision := _decide(_waived([_waiver("Bad_Name", "2030-01-01T00:00:00Z", "2030-06-29T00:00:00Z")]))
	decision.summary.verdict == "fail"
	count(decision.waivers.pending) == 1
	decision.waivers.applied == 0
}

test_an_expired_waiver_waives_nothing if {
	decision := _decide(_waived([_waiver("Bad_Name", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")]))
	decision.summary.verdict == "fail"
	count(decision.waivers.expired) == 1
}

test_waivers_expire_by_a_later_clock_but_never_an_earlier_one if {
	waiver := _waiver("Bad_Name", "2026-11-01T00:00:00Z", "2026-11-25T00:00:00Z")
	later := _decide(object.union(_waived([waiver]), {"waivers_at": "2026-11-30T00:00:00Z"}))
	later.summary.verdict == "fail"
	shorter := object.union(waiver, {"expires_at": "2026-11-10T00:00:00Z"})
	earlier := _decide(object.union(_waived([shorter]), {"waivers_at": "2026-11-05T00:00:00Z"}))
	earlier.summary.verdict == "fail"
}

test_a_malformed_snapshot_is_an_error_never_a_pass if {
	decision := _decide({"schema_version": 1, "registry": {"name": "r"}})
	decision.summary.verdict == "error"
	decision.allow == false
	decision.findings == []
	decision.errors == [{"path": "registry.captured_at", "message": "required field missing"}]
}

test_request_errors_come_before_the_snapshot_errors if {
	decision := _decide({"snapshot": {"schema_version": 2}, "fail_on": "severe", "extra": 1})
	[e.path | some e in decision.errors] == ["extra", "fail_on"]
}

test_parts_merge_to_the_decision_of_the_whole if {
	whole := _decide(_snapshot(["Bad_Name", "Other_Bad"]))
	first := data.almguard.lib.decision.part with input as {"snapshot": _snapshot(["Bad_Name"])}
		with data.almguard.catalog as _catalog
	second := data.almguard.lib.decision.part with input as {"snapshot": _snapshot(["Other_Bad"])}
		with data.almguard.catalog as _catalog
	merged := _decide({"parts": [first, second], "registry": data.almguard.test.builder.snapshot({}).registry})
	merged.findings == whole.findings
	merged.summary == whole.summary
}

test_parts_of_unknown_rules_or_without_a_clock_are_errors if {
	finding := {"rule_id": "X-1", "resource": {"kind": "model", "id": "m"}, "message": "m"}
	bad := _decide({"parts": [{"errors": [], "findings": [finding], "resources": {}}], "registry": {}})
	{e.path | some e in bad.errors} == {"parts", "registry"}
	empty := _decide({"parts": [], "registry": data.almguard.test.builder.snapshot({}).registry})
	empty.summary.verdict == "error"
}

_proposal(model, endpoint) := {
	"model": model, "version": "1.0.0", "endpoint": endpoint, "environment": "production",
	"traffic_percent": 10, "at": "2026-11-20T08:00:00Z",
}

# The what-if: the snapshot with the proposed deployment in place, as almguard applies it.
_what_if(names, model) := object.union(_snapshot(names), {"deployments": [data.almguard.test.builder.deployment({
	"endpoint": "e",
	"model": model,
	"traffic_percent": 10,
})]})

test_a_gate_is_decided_by_the_findings_about_its_proposal if {
	snapshot := _what_if(["Bad_Name", "Other_Bad"], "Bad_Name")
	blocked := _decide({"snapshot": snapshot, "proposal": _proposal("Bad_Name", "e")})
	blocked.gate.decision == "deny"
	blocked.gate.unrelated_findings == 1
	{f.resource.id: f.blocking | some f in blocked.findings} == {"Bad_Name": true, "Other_Bad": false}
	[c.rule_id | some c in blocked.gate.checklist; not c.passed] == ["ALM-REG-002"]
	proposed := _what_if(["Bad_Name", "Other_Bad", "good"], "good")
	allowed := _decide({"snapshot": proposed, "proposal": _proposal("good", "e")})
	allowed.gate.decision == "allow"
	allowed.summary.verdict == "pass"
	allowed.gate.unrelated_findings == 2
}

test_a_gate_on_a_snapshot_without_its_proposal_is_an_error if {
	decision := _decide({"snapshot": _snapshot(["good"]), "proposal": _proposal("good", "e")})
	decision.summary.verdict == "error"
	[e.path | some e in decision.errors] == ["snapshot"]
	all_traffic := object.union(_proposal("good", "e"), {"traffic_percent": 100})
	elsewhere := _decide({"snapshot": _what_if(["good"], "good"), "proposal": all_traffic})
	[e.path | some e in elsewhere.errors] == ["snapshot"]
}

test_a_gate_in_the_future_of_the_snapshot_is_refused if {
	proposal := object.union(_proposal("good", "e"), {"at": "2026-11-21T08:00:00Z"})
	decision := _decide({"snapshot": _snapshot(["good"]), "proposal": proposal})
	decision.summary.verdict == "error"
	[e.path | some e in decision.errors] == ["proposal.at"]
}

test_a_gate_within_the_clock_skew_is_decided if {
	proposal := object.union(_proposal("good", "e"), {"at": "2026-11-20T08:04:59Z"})
	decision := _decide({"snapshot": _what_if(["good"], "good"), "proposal": proposal})
	decision.gate.decision == "allow"
}

test_a_malformed_proposal_names_each_field if {
	proposal := {
		"model": 1, "version": "", "endpoint": "e", "environment": "prod",
		"traffic_percent": true, "at": "now", "x": 1,
	}
	decision := _decide({"snapshot": _snapshot(["good"]), "proposal": proposal})
	{e.path | some e in decision.errors} == {
		"proposal.model", "proposal.version", "proposal.environment",
		"proposal.traffic_percent", "proposal.at", "proposal.x",
	}
	not_a_mapping := _decide({"snapshot": _snapshot(["good"]), "proposal": "deploy"})
	[e.path | some e in not_a_mapping.errors] == ["proposal"]
}

test_a_malformed_finding_is_a_policy_error_never_dropped if {
	decision := _decide(_snapshot(["good"])) with data.almguard.rules.registry.model_name.deny as {"not a finding"}
	decision.summary.verdict == "error"
	[e.message | some e in decision.errors] == [
		`rule ALM-REG-002 produced a malformed finding not a finding: expected {"resource": {"kind": ..., "id": ...}, "message": ...}`,
	]
}

test_relevance_names_what_a_proposal_is_about if {
	request := {"snapshot": _what_if(["good"], "good"), "proposal": _proposal("good", "e")}
	relevance := data.almguard.lib.decision.relevance with input as request
	relevance.relevant == [
		["deployment", "e/good@1.0.0"],
		["endpoint", "e"],
		["model", "good"],
		["model_version", "good@1.0.0"],
	]
	relevance.errors == []
}

test_a_gate_without_gate_categories_is_an_error if {
	request := {"snapshot": _what_if(["good"], "good"), "proposal": _proposal("good", "e")}
	decision := _decide(request) with data.almguard.config.gate.gates as []
	decision.summary.verdict == "error"
	[e.path | some e in decision.errors] == ["almguard.config.gate.gates"]
}
