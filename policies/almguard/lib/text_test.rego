package almguard.lib.text_test

import rego.v1

test_blank_texts_are_blank if {
	every value in ["", " \t\n", "\u200b", "\u00a0\u2028", "\u115f\u1160", "\u3164\u2800\u034f\ufe0f", "\u180e\ufeff"] {
		data.almguard.lib.text.blank(value)
		not data.almguard.lib.text.present(value)
	}
}

test_text_with_a_letter_digit_or_symbol_is_present if {
	every value in ["a", "Risk ML", "李", "7", "\u200bx", "cro@contoso.com", "-"] {
		data.almguard.lib.text.present(value)
		not data.almguard.lib.text.blank(value)
	}
}

test_non_strings_are_neither if {
	every value in [null, 3, true, ["a"], {"a": 1}] {
		not data.almguard.lib.text.present(value)
		not data.almguard.lib.text.blank(value)
	}
}
