# METADATA
# title: The findings of one snapshot, joined to the rule catalog
# description: >-
#   What the rules say about the snapshot in input, as one document:
#   {"errors": [...], "findings": [...], "resources": {...}}. When the input is not a
#   snapshot-v1 document (data.almguard.lib.schema.errors), no rule is evaluated and errors
#   says why. Otherwise findings holds every rule's deny set as {rule_id, resource, message},
#   the rule found by its path in the catalog (data.almguard.catalog, generated from the
#   rules' METADATA). resources lists the ids of what was checked, by kind (a dataset may
#   appear in several partitions of a large snapshot: the decision counts it once).
#   The decision (data.almguard.decision) is built from one or more of these documents.
package almguard.lib.findings

import rego.v1

result := {"errors": errors, "findings": reported, "resources": resources}

errors := data.almguard.lib.schema.ordered(data.almguard.lib.schema.errors | _policy_errors)

reported := [] if {
	count(data.almguard.lib.schema.errors) > 0
} else := _sorted_findings

# (A comprehension directly after `else :=` is not scheduled by the embedded engine.)
_sorted_findings := sort([f | some f in _findings])

# Every rule's deny set, by rule id. The rules' document is taken whole once and walked
# (a lookup into data.almguard.rules per rule costs the embedded engine a walk of the
# virtual document each time: most of a small partition's evaluation).
_denies := {rule_id: object.get(rules, array.concat(rule.path, ["deny"]), []) |
	rules := data.almguard.rules
	some rule_id, rule in data.almguard.catalog.rules
}

_findings contains finding if {
	some rule_id, denied in _denies
	some raw in denied
	_well_formed(raw)
	finding := {"rule_id": rule_id, "resource": raw.resource, "message": raw.message}
}

# A rule whose deny set holds something other than {resource: {kind, id}, message} is a
# broken policy: the decision reports it as an error rather than dropping the finding.
_policy_errors contains error if {
	count(data.almguard.lib.schema.errors) == 0
	some rule_id, denied in _denies
	some raw in denied
	not _well_formed(raw)
	error := {
		"path": "",
		"message": sprintf(
			"rule %s produced a malformed finding %v: expected {\"resource\": {\"kind\": ..., \"id\": ...}, \"message\": ...}",
			[rule_id, raw],
		),
	}
}

_well_formed(raw) if {
	is_object(raw)
	object.keys(raw) == {"resource", "message"}
	is_string(raw.message)
	is_object(raw.resource)
	object.keys(raw.resource) == {"kind", "id"}
	raw.resource.kind in {"model", "model_version", "dataset", "deployment", "endpoint"}
	is_string(raw.resource.id)
}

resources := {} if {
	count(data.almguard.lib.schema.errors) > 0
} else := _resources

_resources := {
	"model": {model.name | some model in object.get(input, "models", [])},
	"model_version": {id | some id, _ in data.almguard.lib.snapshot.versions_by_id},
	"dataset": {id | some id, _ in data.almguard.lib.snapshot.datasets_by_id},
	"deployment": {id | some id, _ in data.almguard.lib.snapshot.deployments_by_id},
	"endpoint": {endpoint | some endpoint, _ in data.almguard.lib.snapshot.deployments_by_endpoint},
}
