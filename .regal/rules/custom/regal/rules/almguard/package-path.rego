# METADATA
# description: Package not named for its file
# schemas:
#   - input: schema.regal.ast
package custom.regal.rules.almguard["package-path"]

import rego.v1

import data.regal.ast
import data.regal.result
import data.regal.util

# A package is named for its file: the directories down from the policy root, then the
# file name without .rego (almguard/rules/approval/stage_order.rego holds
# almguard.rules.approval.stage_order, stage_order_test.rego beside it holds
# almguard.rules.approval.stage_order_test). A _test.rego file may instead hold the package
# named without the suffix: a helper that only the tests load (almguard/test/builder_test.rego
# holds almguard.test.builder).

report contains violation if {
	not _named_for_its_file
	violation := result.fail(rego.metadata.chain(), result.ranged_from_ref(util.rest(input["package"].path)))
}

_parts := split(input.regal.file.abs, input.regal.environment.path_separator)

# The file's path as a package path: its directories, then its name without .rego.
_file_path := array.concat(array.slice(_parts, 0, count(_parts) - 1), [trim_suffix(regal.last(_parts), ".rego")])

_named_for_its_file if _ends_with(_file_path, ast.package_path)

_named_for_its_file if {
	endswith(regal.last(_file_path), "_test")
	helper := array.concat(
		array.slice(_file_path, 0, count(_file_path) - 1),
		[trim_suffix(regal.last(_file_path), "_test")],
	)
	_ends_with(helper, ast.package_path)
}

_ends_with(path, tail) if {
	count(tail) <= count(path)
	array.slice(path, count(path) - count(tail), count(path)) == tail
}
