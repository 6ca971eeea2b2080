package almguard.lib.registry_test

import rego.v1

_hex64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_digests := [
	concat("", ["sha256:", _hex64]),
	upper(concat("", ["sha256:", _hex64])),
	concat("", ["sha256:", substring(_hex64, 0, 63)]),
	concat("", ["sha256:", _hex64, "0"]),
	concat("", ["sha256:", substring(_hex64, 0, 63), "g"]),
	concat("", ["sha256:", substring(_hex64, 0, 62), "é"]),
	concat("", ["sha256:", _hex64, "\n"]),
	concat("", ["\nsha256:", _hex64]),
	concat("", [" sha256:", _hex64]),
	concat("", ["xsha256:", _hex64]),
	concat("", ["a", "sha256:", substring(_hex64, 0, 63)]),
	concat("", ["sha512:", _hex64]),
	concat("", ["sha256:sha256:", substring(_hex64, 0, 57)]),
	_hex64,
	"sha256:",
	"sha256:abc",
	"",
]

test_shipped_digest_pattern_string_test_agrees_with_the_pattern if {
	pattern := data.almguard.config.registry.digest_pattern
	pattern == "^sha256:[0-9a-f]{64}$"
	valid := {digest | some digest in _digests; data.almguard.lib.registry.valid_digest(digest)}
	valid == {digest | some digest in _digests; regex.match(pattern, digest)}
	count({digest | some digest in _digests; data.almguard.lib.registry.valid_digest(digest)}) == 1
}

test_other_digest_pattern_is_matched_as_a_regular_expression if {
	pattern := "^(sha256|sha512):[0-9a-f]+$"
	accepted := {digest | some digest in _digests; data.almguard.lib.registry.valid_digest(digest)}
		with data.almguard.config.registry.digest_pattern as pattern
	accepted == {digest | some digest in _digests; regex.match(pattern, digest)}
}

_names := [
	"credit-risk-scorer", "a", "a1", "a-1", "a1-b2-c3", "abc-def9",
	"1a", "-a", "a-", "a--b", "A", "aB", "a_b", "", "a b", "é", "a.b", "a\n", "\na", "a-b-", "9",
]

test_shipped_name_pattern_string_test_agrees_with_the_pattern if {
	pattern := data.almguard.config.registry.name_pattern
	pattern == "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
	conventional := {name | some name in _names; data.almguard.lib.registry.conventional_name(name)}
	conventional == {name | some name in _names; regex.match(pattern, name)}
	count({name | some name in _names; data.almguard.lib.registry.conventional_name(name)}) == 6
}

test_other_name_pattern_is_matched_as_a_regular_expression if {
	pattern := "^[A-Za-z_ ]+$"
	accepted := {name | some name in _names; data.almguard.lib.registry.conventional_name(name)}
		with data.almguard.config.registry.name_pattern as pattern
	accepted == {name | some name in _names; regex.match(pattern, name)}
}
