package almguard.lib.lineage_test

import rego.v1

_hex64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_hex40 := substring(_hex64, 0, 40)

_code_refs := [
	_hex40,
	_hex64,
	concat("", ["sha256:", _hex64]),
	concat("", ["git+https://github.com/org/repo@", _hex40]),
	concat("", ["repo#", _hex64]),
	concat("", ["a/b:", _hex40]),
	concat("", ["a@b@", _hex40]),
	concat("", ["ü/", _hex64]),
	concat("", ["x\r@", _hex40]),
	concat("", ["@", _hex40]),
	concat("", ["a\nb@", _hex40]),
	concat("", ["\n@", _hex40]),
	concat("", [_hex40, "\n"]),
	concat("", ["x", _hex40]),
	concat("", ["a", _hex40]),
	concat("", [_hex40, _hex40]),
	concat("", ["sha256:", _hex40]),
	concat("", ["sha256:", substring(_hex64, 0, 63)]),
	substring(_hex64, 0, 39),
	upper(_hex40),
	"main", "v1", "repo@abc", "", " ",
]

test_shipped_pin_pattern_string_test_agrees_with_the_pattern if {
	pattern := data.almguard.config.lineage.pinned_code_ref_pattern
	pattern == "^(.*[@:/#])?([0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64})$"
	pinned := {ref | some ref in _code_refs; data.almguard.lib.lineage.pinned_code_ref(ref)}
	pinned == {ref | some ref in _code_refs; regex.match(pattern, ref)}
	count({ref | some ref in _code_refs; data.almguard.lib.lineage.pinned_code_ref(ref)}) == 11
}

test_other_pin_pattern_is_matched_as_a_regular_expression if {
	pattern := "^[0-9a-f]{40}$"
	accepted := {ref | some ref in _code_refs; data.almguard.lib.lineage.pinned_code_ref(ref)}
		with data.almguard.config.lineage.pinned_code_ref_pattern as pattern
	accepted == {ref | some ref in _code_refs; regex.match(pattern, ref)}
}
