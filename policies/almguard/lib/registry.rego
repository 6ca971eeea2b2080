# METADATA
# title: Helpers of the registry rules
# description: >-
#   Shared judgements of the registry category (also used by the lineage rules). Call the
#   functions by their full path (data.almguard.lib.registry.f): the embedded engine does not
#   resolve functions through imports.
package almguard.lib.registry

import rego.v1

# object.get that treats an explicit null like an absent key and a null (or non-object)
# container like an empty one: optional snapshot fields may be written as null, and
# object.get on null raises in the embedded engine.
field(obj, key, fallback) := value if {
	is_object(obj)
	value := object.get(obj, key, null)
	value != null
} else := fallback

# A content digest recorded in the accepted form (config registry.digest_pattern).
valid_digest(digest) if {
	is_string(digest)
	regex.match(data.almguard.config.registry.digest_pattern, digest)
}

# A version is past development when its effective stage is not an unreleased stage.
past_development(entry) if not entry.stage in data.almguard.config.registry.unreleased_stages

# True when the model or the version carries the "prompted" tag.
prompted(entry) if _tagged(entry.model)

prompted(entry) if _tagged(entry.version)

_tagged(thing) if {
	tag := data.almguard.config.registry.prompted_tag
	field(field(thing, "tags", {}), tag.key, null) == tag.value
}

# The config artifact kinds a version must record: by its model's type, plus the prompted
# kinds when the model or version is tagged as prompted.
required_config_kinds(entry) := kinds if {
	config := data.almguard.config.registry
	by_type := {kind | some kind in field(config.required_config_artifacts, field(entry.model, "type", ""), [])}
	by_tag := {kind | some kind in config.prompted_config_artifacts; prompted(entry)}
	kinds := by_type | by_tag
}

# True when a string value is recorded and not blank.
present(value) if {
	is_string(value)
	trim_space(value) != ""
}
