package custom.regal.rules.almguard["package-path_test"]

import rego.v1

import data.regal.config

import data.custom.regal.rules.almguard["package-path"] as rule

_report(file, package_line) := report if {
	report := rule.report with input as regal.parse_module(file, package_line)
		with config.for_rule as {"level": "error"}
}

test_a_rule_named_for_its_file_passes if {
	_report("policies/almguard/rules/approval/stage_order.rego", "package almguard.rules.approval.stage_order") == set()
}

test_its_tests_named_for_their_file_pass if {
	count(_report(
		"policies/almguard/rules/approval/stage_order_test.rego",
		"package almguard.rules.approval.stage_order_test",
	)) == 0
}

test_a_test_helper_may_drop_the_suffix if {
	_report("policies/almguard/test/builder_test.rego", "package almguard.test.builder") == set()
}

test_a_package_of_one_segment_named_for_its_file_passes if {
	_report("conftest/main.rego", "package main") == set()
}

test_a_package_not_named_for_its_file_fails if {
	count(_report("policies/almguard/rules/approval/stage_order.rego", "package almguard.rules.approval.order")) == 1
	count(_report("policies/almguard/rules/approval/stage_order.rego", "package almguard.rules.stage_order")) == 1
	count(_report("policies/almguard/rules/approval/stage_order.rego", "package almguard.approval.stage_order")) == 1
}

test_only_test_files_may_drop_a_suffix if {
	count(_report("policies/almguard/test/builder.rego", "package almguard.test.builder_test")) == 1
}

test_a_package_as_regal_wants_it_fails if {
	# Regal's own layout, a directory per package, is not ours: the file name is part of the path.
	file := "policies/almguard/rules/approval/stage_order/policy.rego"
	count(_report(file, "package almguard.rules.approval.stage_order")) == 1
}

test_a_package_longer_than_the_path_fails if {
	count(_report("main.rego", "package conftest.main")) == 1
}
