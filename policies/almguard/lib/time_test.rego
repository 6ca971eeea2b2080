package almguard.lib.time_test

import rego.v1

test_epoch_is_zero if {
	data.almguard.lib.time.ns("1970-01-01T00:00:00Z") == 0
}

test_offsets_name_the_same_instant if {
	data.almguard.lib.time.ns("2026-11-20T09:30:00+01:30") == data.almguard.lib.time.ns("2026-11-20T08:00:00Z")
	data.almguard.lib.time.ns("2026-11-20T06:00:00-02:00") == data.almguard.lib.time.ns("2026-11-20T08:00:00Z")
}

test_fractions_are_nanoseconds if {
	data.almguard.lib.time.ns("1970-01-01T00:00:00.5Z") == 500000000
	data.almguard.lib.time.ns("1970-01-01T00:00:00.000000001Z") == 1
}

test_forever_dates_are_ordered_after_everything if {
	forever := data.almguard.lib.time.ns("9999-12-31T23:59:59Z")
	forever > data.almguard.lib.time.ns("2261-12-31T23:59:59Z")
	forever > data.almguard.lib.time.ns("2300-01-01T00:00:00Z")
	data.almguard.lib.time.ns("2300-01-01T00:00:00Z") > data.almguard.lib.time.ns("2262-04-12T00:00:00Z")
}

test_civil_calendar_matches_the_builtin_at_the_range_edges if {
	# 2261 is inside the builtin's range: computed by both paths it must agree
	every t in ["2261-12-31T23:59:59.999999999Z", "1678-01-01T00:00:00+23:59", "2000-02-29T12:00:00.5-05:30"] {
		data.almguard.lib.time._civil_ns(t) == data.almguard.lib.time.ns(t)
	}
}

test_the_years_next_to_the_builtin_range_take_the_civil_path if {
	# 1677 and 2262 are partly inside the builtin's range: where it reads them, both agree
	every t in ["1677-12-31T23:59:59Z", "2262-01-01T00:00:00Z", "2262-04-11T00:00:00.5Z"] {
		data.almguard.lib.time.ns(t) == time.parse_rfc3339_ns(t)
	}
}

test_ancient_dates_come_before_the_epoch if {
	data.almguard.lib.time.ns("0001-01-01T00:00:00Z") == -62135596800000000000
	data.almguard.lib.time.ns("1600-03-01T00:00:00Z") < data.almguard.lib.time.ns("1677-09-21T00:00:00Z")
}

test_valid_accepts_real_instants if {
	data.almguard.lib.time.valid("2026-11-20T08:00:00Z")
	data.almguard.lib.time.valid("2024-02-29T00:00:00.123456789+05:45")
	data.almguard.lib.time.valid("9999-12-31T23:59:59-23:59")
}

test_valid_refuses_what_is_not_an_instant if {
	not data.almguard.lib.time.valid("2026-02-30T00:00:00Z") # no such day
	not data.almguard.lib.time.valid("2025-02-29T00:00:00Z") # not a leap year
	not data.almguard.lib.time.valid("1900-02-29T00:00:00Z") # century, not a leap year
	not data.almguard.lib.time.valid("2026-01-01T00:00:00-00:60") # impossible offset
	not data.almguard.lib.time.valid("2026-01-01T24:00:00Z")
	not data.almguard.lib.time.valid("2026-01-01T00:00:60Z") # leap seconds are not supported
	not data.almguard.lib.time.valid("0000-01-01T00:00:00Z")
	not data.almguard.lib.time.valid("2026-11-20T08:00:00") # no zone
	not data.almguard.lib.time.valid("2026-11-20t08:00:00z")
	not data.almguard.lib.time.valid(20261120)
}

test_leap_years_of_the_gregorian_calendar if {
	data.almguard.lib.time.valid("2000-02-29T00:00:00Z")
	data.almguard.lib.time.valid("2024-02-29T00:00:00Z")
	data.almguard.lib.time.valid("2400-02-29T00:00:00Z")
	not data.almguard.lib.time.valid("2100-02-29T00:00:00Z")
	not data.almguard.lib.time.valid("2023-04-31T00:00:00Z")
}
