# METADATA
# title: Helpers of the registry rules
# description: >-
#   Shared judgements of the registry category (also used by the lineage rules). Call the
#   functions by their full path (data.almguard.lib.registry.f): the embedded engine does not
#   resolve functions through imports.
package almguard.lib.registry

import rego.v1

# object.get for policy data, which may hold nulls (a YAML key left empty): an explicit null
# counts as absent, and a null (or non-object) container as an empty one. Snapshot inputs need
# no such care: the loader drops null-valued keys, so plain object.get serves for them.
field(obj, key, fallback) := value if {
	is_object(obj)
	value := object.get(obj, key, null)
	value != null
} else := fallback

# Patterns in policy data are matched with regex.match, except while a pattern is the one
# almguard ships with: then an equivalent string test decides, because the embedded engine
# compiles the expression anew on every regex.match call (30-90 µs, which dominated a scan).
# The library tests hold each string test to its pattern on a table of edge cases.

# A content digest recorded in the accepted form (config registry.digest_pattern).
valid_digest(digest) if {
	_shipped_digest_pattern
	is_string(digest)
	trim_right(digest, _hex) == "sha256:"
	count(digest) == 71
} else if {
	not _shipped_digest_pattern
	is_string(digest)
	regex.match(data.almguard.config.registry.digest_pattern, digest)
}

_shipped_digest_pattern if data.almguard.config.registry.digest_pattern == "^sha256:[0-9a-f]{64}$"

_hex := "0123456789abcdef"

# A model name that follows the naming convention (config registry.name_pattern).
conventional_name(name) if {
	_shipped_name_pattern
	name != ""
	trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
	trim_left(name, "0123456789-") == name
	not contains(name, "--")
	not endswith(name, "-")
} else if {
	not _shipped_name_pattern
	regex.match(data.almguard.config.registry.name_pattern, name)
}

_shipped_name_pattern if data.almguard.config.registry.name_pattern == "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

# True when the model or the version carries the "prompted" tag.
tagged_prompted(thing) if object.get(thing, ["tags", _config.prompted_tag.key], null) == _config.prompted_tag.value

# Policy data read once, not on every call (a data reference costs more than a rule's).
_config := data.almguard.config.registry

# The config artifact kinds every version of a model must record past development: by the
# model's type, plus the prompted kinds when the model is tagged as prompted (a version
# tagged as prompted adds the prompted kinds for itself).
model_config_kinds(model) := by_type | by_tag if {
	by_type := {kind | some kind in field(_config.required_config_artifacts, object.get(model, "type", ""), [])}
	by_tag := {kind | some kind in _config.prompted_config_artifacts; tagged_prompted(model)}
}

# True when a string value is recorded and not blank (data.almguard.lib.text).
present(value) if data.almguard.lib.text.present(value)
