# METADATA
# title: Times, total over every time the loader accepts
# description: >-
#   One place where rules turn RFC 3339 times into instants. The builtin
#   time.parse_rfc3339_ns covers only 1678-2261: outside that range OPA makes the rule body
#   undefined (a finding would vanish) and the embedded engine stops with an error. ns(t)
#   uses the builtin inside its range and the proleptic Gregorian calendar outside it, so
#   a "forever" date such as 9999-12-31T23:59:59Z compares as it should on both engines.
#   Every time a rule reads has passed valid(t) (the loader, and the decision's own input
#   check, refuse anything else), so ns(t) is defined wherever a rule calls it. Call these
#   functions by full path (data.almguard.lib.time.ns): the embedded engine does not
#   resolve functions through imports.
package almguard.lib.time

import rego.v1

# A real RFC 3339 instant as snapshot-v1 accepts it, as one regular expression (the JSON
# Schema of the snapshot uses it too): a year 0001-9999, a month, a day that month has
# (February 29 in leap years only), T, a time with seconds (no leap second), up to nine
# fraction digits, and Z or an offset of at most 23:59 (upper-case T and Z).
pattern := concat("", [
	"^(?:",
	`(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-`,
	`(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))`,
	`|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29`,
	`)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`,
])

# Whether t is such an instant.
valid(t) if {
	is_string(t)
	regex.match(pattern, t)
}

# Nanoseconds since 1970-01-01T00:00:00Z of a valid time (may be negative, or beyond int64
# for far-future dates: both engines compare such integers exactly).
# Years 1678 to 2261 are inside the builtin's range. The whole string is compared: a string
# orders against a four-character one as its first four characters do, and "less than
# 2262" is "at most 2261" for them, so no substring is taken (ns is called once per dated
# record of a snapshot).
ns(t) := time.parse_rfc3339_ns(t) if {
	t >= "1678"
	t < "2262"
} else := _civil_ns(t)

# Whole days as nanoseconds, for durations configured in days or hours.
day_ns := 86400000000000

hour_ns := 3600000000000

_civil_ns(t) := result if {
	rest := substring(t, 19, count(t) - 19)
	seconds := (((_days_from_civil(
		_int(substring(t, 0, 4)),
		_int(substring(t, 5, 2)),
		_int(substring(t, 8, 2)),
	) * 86400) + (_int(substring(t, 11, 2)) * 3600)) + (_int(substring(t, 14, 2)) * 60)) + _int(substring(t, 17, 2))
	result := ((seconds - _offset_seconds(rest)) * 1000000000) + _fraction_ns(rest)
}

# A string of decimal digits as an integer ("08" is 8: to_number refuses leading zeros on
# one engine, so parse "108" and subtract 100).
_int(digits) := to_number(concat("", ["1", digits])) - _pow10[count(digits)]

_pow10 := {0: 1, 1: 10, 2: 100, 3: 1000, 4: 10000, 5: 100000, 6: 1000000, 7: 10000000, 8: 100000000, 9: 1000000000}

# The fraction of a second in nanoseconds, from what follows the seconds (".5Z", "Z", ...).
_fraction_ns(rest) := 0 if {
	not startswith(rest, ".")
} else := value if {
	digits := regex.split(`[Z+-]`, substring(rest, 1, count(rest) - 1))[0]
	value := _int(digits) * _pow10[9 - count(digits)]
}

# The zone offset in seconds east of UTC.
_offset_seconds(rest) := 0 if {
	endswith(rest, "Z")
} else := seconds if {
	zone := substring(rest, count(rest) - 6, 6)
	magnitude := (_int(substring(zone, 1, 2)) * 3600) + (_int(substring(zone, 4, 2)) * 60)
	seconds := _signed(substring(zone, 0, 1), magnitude)
}

_signed("+", magnitude) := magnitude

_signed("-", magnitude) := 0 - magnitude

# Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
_days_from_civil(year, month, day) := days if {
	y := year - _early(month)
	era := floor(y / 400)
	yoe := y - (era * 400)
	mp := (month + 9) % 12
	doy := (floor(((153 * mp) + 2) / 5) + day) - 1
	doe := (((yoe * 365) + floor(yoe / 4)) - floor(yoe / 100)) + doy
	days := ((era * 146097) + doe) - 719468
}

_early(month) := 1 if month <= 2

else := 0
