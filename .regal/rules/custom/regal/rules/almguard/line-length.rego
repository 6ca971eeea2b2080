# METADATA
# description: Line too long (a line of one long string may pass max-line-length, no line hard-limit)
# schemas:
#   - input: schema.regal.ast
package custom.regal.rules.almguard["line-length"]

import rego.v1

import data.regal.config
import data.regal.result

# A line is at most max-line-length characters long (a tab counts as one), unless all it
# holds is one string literal that does not fit: its indentation, then at most an
# assignment or an object key and an opening call before it, closing punctuation after it.
# A message stays one string, so that a finding's text can be searched for in the
# policies. No line, such a one included, is longer than hard-limit: the embedded engine
# (regorus) refuses longer lines.

report contains violation if {
	cfg := config.for_rule("almguard", "line-length")
	some i, line in input.regal.file.lines
	count(line) > cfg["max-line-length"]
	_too_long(line, cfg)
	violation := result.fail(rego.metadata.chain(), {"location": {
		"file": input.regal.file.name,
		"row": i + 1,
		"col": 1,
		"text": line,
		"end": {"row": i + 1, "col": count(line)},
	}})
}

_too_long(line, _) if not regex.match(_one_string, line)

_too_long(line, cfg) if count(line) > cfg["hard-limit"]

# A double-quoted or a raw string literal.
_string := concat("|", [`"(?:[^"\\]|\\.)*"`, "`[^`]*`"])

_one_string := concat("", [
	`^\s*`,
	`(?:(?:[A-Za-z_][\w.]*\s*:?=|"(?:[^"\\]|\\.)*"\s*:)\s*)?`, # name := , name = , "key":
	`(?:[A-Za-z_][\w.]*\()?`, # sprintf(
	"(?:", _string, ")",
	`[\s,)\]}]*$`,
])
