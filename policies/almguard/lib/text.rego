# METADATA
# title: Text that counts as recorded
# description: >-
#   Blank text — nothing but white space, separators, control, format and combining
#   characters (U+200B and friends) and the letters and symbols that print as nothing
#   (Hangul fillers, the braille blank, variation selectors) — records nothing: an owner,
#   an approver or a waiver's justification of "\u200b" is none. Call these functions by
#   full path: the embedded engine does not resolve functions through imports.
package almguard.lib.text

import rego.v1

_blank := `^[\s\p{Z}\p{Cc}\p{Cf}\p{M}\x{115F}\x{1160}\x{17B4}\x{17B5}\x{180B}-\x{180F}\x{2800}\x{3164}\x{FE00}-\x{FE0F}\x{FFA0}]*$`

# Whether a string is blank. A text with a cased letter is not (the cheap test first: the
# embedded engine compiles a pattern on every call).
blank(value) if {
	is_string(value)
	lower(value) == upper(value)
	regex.match(_blank, value)
}

# Whether a value is recorded text: a string that is not blank.
present(value) if {
	is_string(value)
	not blank(value)
}
