# METADATA
# title: Entries of a snapshot that share an id
# description: >-
#   Two entries with one id make a snapshot ambiguous (and the rules' indexes conflict):
#   data.almguard.lib.schema refuses such a snapshot with these errors. Linear: ids are
#   counted against their distinct set, and only a kind that repeats one is searched for
#   the first repeated id and the position of its second entry.
package almguard.lib.duplicates

import rego.v1

# The second entry of the first id that repeats, for each kind of entry that repeats one.
errors contains error if {
	some kind, ids in _ids
	count(ids) != count({id | some id in ids})
	sorted := sort(ids)
	repeats := [id | some k, id in sorted; k > 0; sorted[k - 1] == id]
	id := repeats[0]
	paths := [path | some [x, path] in _keyed[kind]; x == id]
	error := {"path": paths[1], "message": sprintf("duplicate %s '%s': each must appear once", [kind, id])}
}

_ids := {kind: _ids_of(entries) | some kind, entries in _cheap_keyed}

_ids_of(entries) := [id | some [id, _] in entries]

# [id, index] of every identified entry whose id fields are strings (others are type
# errors); the paths are spelled out only when an id repeats.
_cheap_keyed := {
	"dataset version": [[concat("@", [d.name, d.version]), i] |
		some i, d in _items(input, "datasets")
		_strings(d, ["name", "version"])
	],
	"model": [[m.name, i] |
		some i, m in _items(input, "models")
		_strings(m, ["name"])
	],
	"model version": [[concat("@", [m.name, v.version]), [i, j]] |
		some i, m in _items(input, "models")
		_strings(m, ["name"])
		some j, v in _items(m, "versions")
		_strings(v, ["version"])
	],
	"deployment": [[concat("", [d.endpoint, "/", d.model, "@", d.version]), i] |
		some i, d in _items(input, "deployments")
		_strings(d, ["endpoint", "model", "version"])
	],
}

_keyed[kind] := _with_paths(kind, entries) if some kind, entries in _cheap_keyed

_with_paths(kind, entries) := [[id, _path(kind, at)] | some [id, at] in entries]

_path("dataset version", i) := _index("datasets", i)

_path("model", i) := _index("models", i)

_path("model version", [i, j]) := sprintf("models[%d].versions[%d]", [i, j])

_path("deployment", i) := _index("deployments", i)

# Whether obj holds strings at the keys (one to three: an argument pattern each, the
# cheapest form on the embedded engine). Regal 0.29.2 reads the pattern's variables as
# output variables, hence the ignore directives.
_strings(obj, [key]) if {
	is_object(obj)
	is_string(obj[key]) # regal ignore:unused-output-variable,use-some-for-output-vars
}

_strings(obj, [first, second]) if {
	is_object(obj)
	is_string(obj[first]) # regal ignore:unused-output-variable,use-some-for-output-vars
	is_string(obj[second]) # regal ignore:unused-output-variable,use-some-for-output-vars
}

_strings(obj, [first, second, third]) if {
	is_object(obj)
	is_string(obj[first]) # regal ignore:unused-output-variable,use-some-for-output-vars
	is_string(obj[second]) # regal ignore:unused-output-variable,use-some-for-output-vars
	is_string(obj[third]) # regal ignore:unused-output-variable,use-some-for-output-vars
}

# The list at obj[key], if it is one (a non-list is data.almguard.lib.schema's error).
_items(obj, key) := value if {
	is_object(obj)
	value := object.get(obj, key, [])
	is_array(value)
} else := []

_index(path, i) := sprintf("%s[%d]", [path, i])
