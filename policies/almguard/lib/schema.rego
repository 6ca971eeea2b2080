# METADATA
# title: The snapshot-v1 shape, checked where the rules run
# description: >-
#   errors is the set of places where the input is not a snapshot-v1 document: a missing
#   or zone-less time, a wrong type, an unknown or null field, an unknown schema_version,
#   two entries with one id. almguard's loader refuses such documents before evaluation;
#   this check makes a bare OPA (or conftest) answer the same way instead of evaluating
#   rules on a document they were not written for, where a rule body that does not match
#   would silently drop its finding. The decision evaluates no rule when errors is not
#   empty. Each error is {"path": "models[0].versions[1].version", "message": "..."}.
package almguard.lib.schema

import rego.v1

# A set of errors as a list: unknown fields first (a typo explains the "missing" error
# beside it), then by path and message.
ordered(errors) := [entry[3] |
	some entry in sort([[_priority(e.message), e.path, e.message, e] | some e in errors])
]

_priority("unknown field") := 0

_priority(message) := 1 if message != "unknown field"

_time := "time"

_string := "string"

_bool := "bool"

_number := "number"

_percent := "percent"

_tags := "tags"

_list := "list"

_object := "object"

# Every entity of snapshot-v1: its fields and their types, and which are required.
_specs := {
	"document": {
		"children": {"registry": "registry", "datasets": "dataset", "models": "model", "deployments": "deployment"},
		"fields": {
			"schema_version": "schema_version", "registry": _object, "datasets": _list, "models": _list,
			"deployments": _list,
		},
		"required": {"schema_version", "registry"},
	},
	"registry": {
		"fields": {"name": _string, "captured_at": _time, "source": _string, "organization": _string, "tags": _tags},
		"required": {"name", "captured_at"},
	},
	"dataset": {
		"children": {"deletion_certificate": "deletion_certificate"},
		"fields": {
			"name": _string, "version": _string, "uri": _string, "digest": _string,
			"created_at": _time, "created_by": _string, "personal_data": _bool,
			"retention_until": _time, "deleted_at": _time, "deletion_certificate": _object, "tags": _tags,
		},
		"required": {"name", "version"},
	},
	"deletion_certificate": {
		"fields": {"id": _string, "issued_at": _time, "issued_by": _string, "method": _string},
		"required": {"id"},
	},
	"ref": {"fields": {"dataset": _string, "version": _string}, "required": {"dataset", "version"}},
	"model": {
		"children": {"versions": "version"},
		"fields": {
			"name": _string, "owner": _string, "risk_tier": "risk_tier", "type": "model_type",
			"description": _string, "versions": _list, "tags": _tags,
		},
		"required": {"name"},
	},
	"version": {
		"children": {
			"artifact": "artifact", "config_artifacts": "config_artifact", "lineage": "lineage",
			"evaluations": "evaluation", "safety_evaluations": "safety_evaluation",
			"bias_assessments": "bias_assessment", "approvals": "approval", "retirement": "retirement",
		},
		"fields": {
			"version": _string, "stage": "stage", "created_at": _time, "created_by": _string,
			"artifact": _object, "config_artifacts": _list, "lineage": _object, "evaluations": _list,
			"safety_evaluations": _list, "bias_assessments": _list, "approvals": _list,
			"retirement": _object, "tags": _tags,
		},
		"required": {"version"},
	},
	"artifact": {"fields": {"uri": _string, "digest": _string}, "required": set()},
	"config_artifact": {"fields": {"kind": "config_kind", "uri": _string, "digest": _string}, "required": {"kind"}},
	"lineage": {
		"children": {
			"training_data": "ref", "evaluation_data": "ref", "preprocessing": "step",
			"training_job": "training_job", "base_model": "base_model",
		},
		"fields": {
			"training_data": _list, "evaluation_data": _list, "preprocessing": _list,
			"training_job": _object, "base_model": _object,
		},
		"required": set(),
	},
	"step": {"fields": {"name": _string, "code_ref": _string, "digest": _string}, "required": {"name"}},
	"training_job": {"fields": {"id": _string, "code_ref": _string, "environment": _string}, "required": set()},
	"base_model": {"fields": {"name": _string, "version": _string}, "required": {"name"}},
	"evaluation": {
		"children": {"dataset": "ref"},
		"fields": {
			"metric": _string, "value": _number, "threshold": _number, "higher_is_better": _bool,
			"dataset": _object, "evaluated_at": _time,
		},
		"required": {"metric", "value"},
	},
	"safety_evaluation": {
		"fields": {"suite": _string, "passed": _bool, "evaluated_at": _time, "report_uri": _string},
		"required": {"suite", "passed"},
	},
	"bias_assessment": {
		"fields": {"method": _string, "passed": _bool, "evaluated_at": _time},
		"required": {"method", "passed"},
	},
	"approval": {
		"fields": {"stage": "stage", "approved_by": _string, "approved_at": _time},
		"required": {"stage", "approved_by", "approved_at"},
	},
	"retirement": {
		"children": {"data_deletion_certificates": "data_deletion_certificate"},
		"fields": {
			"retired_at": _time, "reason": _string, "record_uri": _string, "retention_until": _time,
			"artifacts_deleted_at": _time, "data_deletion_certificates": _list,
		},
		"required": {"retired_at"},
	},
	"data_deletion_certificate": {
		"children": {"datasets": "ref"},
		"fields": {"id": _string, "issued_at": _time, "datasets": _list},
		"required": {"id"},
	},
	"deployment": {
		"children": {"content_safety": "content_safety", "monitoring": "monitoring", "rollout": "rollout_step"},
		"fields": {
			"endpoint": _string, "model": _string, "version": _string, "environment": "environment",
			"traffic_percent": _percent, "deployed_at": _time, "deployed_by": _string,
			"content_safety": _object, "monitoring": _object, "rollout": _list, "tags": _tags,
		},
		"required": {"endpoint", "model", "version", "environment", "traffic_percent"},
	},
	"content_safety": {"fields": {"enabled": _bool, "filters": "strings"}, "required": {"enabled"}},
	"monitoring": {
		"fields": {"baseline_metrics": "numbers", "alert_thresholds": "numbers", "drift_detection": _bool},
		"required": set(),
	},
	"rollout_step": {"fields": {"traffic_percent": _percent, "at": _time}, "required": {"traffic_percent", "at"}},
}

_enums := {
	"stage": {"development", "evaluation", "staging", "production", "archived", "retired"},
	"environment": {"development", "staging", "production"},
	"risk_tier": {"high", "limited", "minimal"},
	"model_type": {"custom", "fine_tuned", "agent", "foundation"},
	"config_kind": {"prompt_template", "rag_config", "hyperparameters", "safety_filter", "deployment_config"},
}

# What a value of each type must be, in words (the message of a type error).
_expected := {
	"string": "a string",
	"time": "an RFC 3339 time with a zone, such as 2026-11-20T08:00:00Z",
	"bool": "true or false",
	"number": "a number",
	"percent": "a number from 0 to 100",
	"tags": "a mapping of strings to strings",
	"list": "a list",
	"object": "a mapping",
	"strings": "a list of strings",
	"numbers": "a mapping of names to numbers",
	"schema_version": "the integer 1 (this almguard reads snapshot-v1)",
}

_fits("string", value) if is_string(value)

_fits("time", value) if data.almguard.lib.time.valid(value)

_fits("bool", value) if is_boolean(value)

_fits("number", value) if is_number(value)

_fits("percent", value) if {
	is_number(value)
	value >= 0
	value <= 100
}

_fits("tags", value) if {
	is_object(value)
	every k, v in value {
		is_string(k)
		is_string(v)
	}
}

_fits("list", value) if is_array(value)

_fits("object", value) if is_object(value)

_fits("strings", value) if {
	is_array(value)
	every v in value {
		is_string(v)
	}
}

_fits("numbers", value) if {
	is_object(value)
	every v in value {
		is_number(v)
	}
}

_fits("schema_version", value) if {
	is_number(value)
	value == 1
}

_fits(kind, value) if {
	is_string(value)
	value in _enums[kind]
}

_describe(kind) := _expected[kind]

_describe(kind) := concat(" ", ["one of", concat(", ", sort(_enums[kind]))]) if _enums[kind]

# The errors: none when the document matches the JSON Schema generated from _specs
# (json.match_schema runs natively in both engines, so a valid 100,000-version snapshot is
# checked in a fraction of its evaluation) and no id repeats; otherwise every error the
# checks below find, each with its path. Should the two ever disagree, the document is
# still refused (fail closed) with a general error.
errors := set() if {
	_matches_schema
	_ids_distinct
} else := _found

# No id repeats, in a document that matches the schema: each kind's ids (built as
# data.almguard.lib.duplicates builds them) counted against their distinct set, one pass per
# kind and no function call per entry. Only once the schema matched (every name, version and
# endpoint is then a string, which concat needs); a document with a repeat, or that does not
# match, gets the full check's errors.
_ids_distinct if {
	_matches_schema
	_distinct([concat("@", [d.name, d.version]) | some d in object.get(input, "datasets", [])])
	_distinct([m.name | some m in object.get(input, "models", [])])
	_distinct([concat("@", [m.name, v.version]) |
		some m in object.get(input, "models", [])
		some v in object.get(m, "versions", [])
	])
	_distinct([concat("", [d.endpoint, "/", d.model, "@", d.version]) |
		some d in object.get(input, "deployments", [])
	])
}

_distinct(ids) if count(ids) == count({id | some id in ids})

_found := _detailed | data.almguard.lib.duplicates.errors if {
	count(_detailed | data.almguard.lib.duplicates.errors) > 0
} else := {{"path": "", "message": "does not match the snapshot-v1 schema"}}

_matches_schema if json.match_schema(input, document_schema)[0] == true

# The JSON Schema of snapshot-v1, generated from _specs. Rego has no recursion, so the
# nested entities are built bottom up, each level from the schemas of the one below.
# Every time field refers to one definition: the engines compile its pattern once per
# check instead of once per field (most of a small partition's schema check).
document_schema := object.union(_json("document", _level4), {"$defs": {"time": _time_json}})

_time_json := {"type": "string", "pattern": data.almguard.lib.time.pattern}

_level0 := {name: _json(name, {}) |
	some name in [
		"registry", "ref", "deletion_certificate", "artifact", "config_artifact", "step",
		"training_job", "base_model", "safety_evaluation", "bias_assessment", "approval",
		"content_safety", "monitoring", "rollout_step",
	]
}

_level1 := object.union(_level0, {name: _json(name, _level0) |
	some name in ["evaluation", "data_deletion_certificate", "lineage", "dataset", "deployment"]
})

_level2 := object.union(_level1, {"retirement": _json("retirement", _level1)})

_level3 := object.union(_level2, {"version": _json("version", _level2)})

_level4 := object.union(_level3, {"model": _json("model", _level3)})

_json(spec, below) := {
	"type": "object",
	"additionalProperties": false,
	"required": sort(_specs[spec].required),
	"properties": properties,
} if {
	properties := {key: _field_json(spec, key, kind, below) | some key, kind in _specs[spec].fields}
}

_field_json(spec, key, "object", below) := below[_specs[spec].children[key]]

_field_json(spec, key, "list", below) := {"type": "array", "items": below[_specs[spec].children[key]]}

_field_json(_, _, kind, _) := _scalar_json[kind] if not kind in {"object", "list"}

_scalar_json := {
	"string": {"type": "string"},
	"time": {"$ref": "#/$defs/time"},
	"bool": {"type": "boolean"},
	"number": {"type": "number"},
	"percent": {"type": "number", "minimum": 0, "maximum": 100},
	"tags": {"type": "object", "additionalProperties": {"type": "string"}},
	"strings": {"type": "array", "items": {"type": "string"}},
	"numbers": {"type": "object", "additionalProperties": {"type": "number"}},
	"schema_version": {"type": "number", "minimum": 1, "maximum": 1},
	"stage": {"type": "string", "enum": sort(_enums.stage)},
	"environment": {"type": "string", "enum": sort(_enums.environment)},
	"risk_tier": {"type": "string", "enum": sort(_enums.risk_tier)},
	"model_type": {"type": "string", "enum": sort(_enums.model_type)},
	"config_kind": {"type": "string", "enum": sort(_enums.config_kind)},
}

# The errors of one mapping against one spec: not a mapping, unknown, null, missing or
# mistyped fields. Nested mappings and lists are checked by the rules below.
shape_errors(value, spec, path) := {{"path": path, "message": "must be a mapping"}} if {
	not is_object(value)
} else := errors if {
	fields := _specs[spec].fields
	unknown := {{"path": _join(path, key), "message": "unknown field"} |
		some key, _ in value
		not fields[key]
	}
	nulls := {{"path": _join(path, key), "message": "null is not allowed: leave the key out"} |
		some key, field in value
		field == null
		fields[key]
	}
	missing := {{"path": _join(path, key), "message": "required field missing"} |
		some key in _specs[spec].required
		not key in object.keys(value)
	}
	mistyped := {{"path": _join(path, key), "message": concat(" ", ["must be", _describe(kind)])} |
		some key, field in value
		field != null
		kind := fields[key]
		not _fits(kind, field)
	}
	errors := ((unknown | nulls) | missing) | mistyped
}

_join("", key) := key

_join(path, key) := concat(".", [path, key]) if path != ""

_index(path, i) := sprintf("%s[%d]", [path, i])

# The list at obj[key], if it is one (a non-list was reported by shape_errors).
_items(obj, key) := value if {
	is_object(obj)
	value := object.get(obj, key, [])
	is_array(value)
} else := []

# The mapping at obj[key], if it is one.
_child(obj, key) := value if {
	is_object(obj)
	value := object.get(obj, key, null)
	is_object(value)
}

# The errors of every element of obj[key] (a list) against a spec.
_list_errors(obj, key, spec, path) := {e |
	some i, item in _items(obj, key)
	some e in shape_errors(item, spec, _index(_join(path, key), i))
}

_detailed contains error if {
	not is_object(input)
	error := {
		"path": "",
		"message": "a snapshot is a mapping with schema_version, registry, datasets, models and deployments",
	}
}

_detailed contains error if {
	is_object(input)
	some error in shape_errors(input, "document", "")
}

_detailed contains error if {
	some error in shape_errors(input.registry, "registry", "registry")
}

_detailed contains error if {
	some i, dataset in _items(input, "datasets")
	path := _index("datasets", i)
	some error in (shape_errors(dataset, "dataset", path) | _child_errors(dataset, "deletion_certificate", path))
}

_detailed contains error if {
	some i, model in _items(input, "models")
	some error in shape_errors(model, "model", _index("models", i))
}

_detailed contains error if {
	some i, model in _items(input, "models")
	some j, version in _items(model, "versions")
	some error in _version_errors(version, sprintf("models[%d].versions[%d]", [i, j]))
}

_detailed contains error if {
	some i, deployment in _items(input, "deployments")
	some error in _deployment_errors(deployment, _index("deployments", i))
}

_child_errors(obj, key, path) := _child_spec_errors(obj, key, key, path)

_child_spec_errors(obj, key, spec, path) := shape_errors(value, spec, _join(path, key)) if {
	value := _child(obj, key)
} else := set()

_version_errors(version, path) := shape_errors(version, "version", path) if {
	not is_object(version)
} else := _version_field_errors(version, path) | _version_entry_errors(version, path)

# A version's own fields, its artifact, lineage and retirement objects and its lists.
_version_field_errors(version, path) := ({e |
	some e in shape_errors(version, "version", path)
} | {e |
	some key in ["artifact", "lineage", "retirement"]
	some e in _child_errors(version, key, path)
}) | {e |
	some [key, spec] in [
		["config_artifacts", "config_artifact"], ["evaluations", "evaluation"],
		["safety_evaluations", "safety_evaluation"], ["bias_assessments", "bias_assessment"],
		["approvals", "approval"],
	]
	some e in _list_errors(version, key, spec, path)
}

# The entries inside a version's lineage, evaluations and retirement.
_version_entry_errors(version, path) := errors if {
	lineage := object.get(version, "lineage", {})
	lineage_path := _join(path, "lineage")
	retirement := object.get(version, "retirement", {})
	retirement_path := _join(path, "retirement")
	errors := (({e |
		is_object(lineage)
		some [key, spec] in [["training_data", "ref"], ["evaluation_data", "ref"], ["preprocessing", "step"]]
		some e in _list_errors(lineage, key, spec, lineage_path)
	} | {e |
		is_object(lineage)
		some key in ["training_job", "base_model"]
		some e in _child_errors(lineage, key, lineage_path)
	}) | {e |
		some i, evaluation in _items(version, "evaluations")
		some e in _child_spec_errors(evaluation, "dataset", "ref", _index(_join(path, "evaluations"), i))
	}) | {e |
		is_object(retirement)
		some i, certificate in _items(retirement, "data_deletion_certificates")
		certificate_path := _index(_join(retirement_path, "data_deletion_certificates"), i)
		some e in _certificate_errors(certificate, certificate_path)
	}
}

_certificate_errors(certificate, path) := errors if {
	own := shape_errors(certificate, "data_deletion_certificate", path)
	errors := own | _list_errors(certificate, "datasets", "ref", path)
}

_deployment_errors(deployment, path) := errors if {
	own := shape_errors(deployment, "deployment", path)
	settings := _child_errors(deployment, "content_safety", path) | _child_errors(deployment, "monitoring", path)
	errors := (own | settings) | _list_errors(deployment, "rollout", "rollout_step", path)
}
