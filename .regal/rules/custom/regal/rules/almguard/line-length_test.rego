package custom.regal.rules.almguard["line-length_test"]

import rego.v1

import data.regal.config

import data.custom.regal.rules.almguard["line-length"] as rule

_config := {"level": "error", "max-line-length": 40, "hard-limit": 80}

_rows(policy) := {v.location.row | some v in report} if {
	module := regal.parse_module("p.rego", concat("\n", ["package p", "", "import rego.v1", "", policy]))
	report := rule.report with input as module with config.for_rule as _config
}

test_short_lines_pass if {
	_rows(`x := {"a": 1}`) == set()
}

test_a_long_line_of_code_fails if {
	_rows(`allow if count(input.users) > input.limit + input.other`) == {5}
}

test_a_long_comment_fails if {
	_rows(`# a comment that runs on and on well past the limit`) == {5}
}

test_a_lone_long_string_passes if {
	_rows(concat("\n", [
		"m := [",
		`	"a message that runs on and on past the limit",`,
		"]",
	])) == set()
}

test_a_long_string_after_a_key_or_an_assignment_or_a_call_passes if {
	_rows(concat("\n", [
		"m := {",
		`	"message": "a message that runs on and on past the limit",`,
		"}",
		`t := "a message that runs on and on past the limit"`,
		`u := sprintf(`,
		`	"a message that runs on %s and on past the limit",`,
		`	["and"],`,
		`)`,
		`v := sprintf("a message that runs on %s and on past the limit",`,
		`	["and"])`,
	])) == set()
}

test_a_long_raw_string_passes if {
	_rows(concat("", ["p := `^[a-z]+(-[a-z0-9]+)*$|^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`"])) == set()
}

test_a_long_string_with_code_after_it_fails if {
	_rows(`m := sprintf("a message that runs on %s and on", ["x"])`) == {5}
}

test_two_strings_on_a_line_fail if {
	_rows(`m := f("a message that runs on", "and on past it")`) == {5}
}

test_a_string_longer_than_the_hard_limit_fails if {
	long := concat("", [`m := "`, concat("", ["x" | some _ in numbers.range(1, 90)]), `"`])
	_rows(long) == {5}
}
