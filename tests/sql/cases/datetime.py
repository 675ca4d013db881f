"""Date, time, timestamp, time zone and interval functions and operators."""

from tests.sql.harness import Fails, table

DATETIME = "https://trino.io/docs/current/functions/datetime.html"
TYPES = "https://trino.io/docs/current/language/types.html"
ATHENA_TZ = "https://docs.aws.amazon.com/athena/latest/ug/athena-supported-time-zones.html"
TS = "TIMESTAMP '2001-08-22 03:04:05.321'"
SUNDAY = "DATE '2020-05-17'"

CASES = [
    *table(
        DATETIME,
        [
            ("date_add('day', 1, DATE '2020-01-31')", "2020-02-01"),
            ("date_add('month', 1, DATE '2020-01-31')", "2020-02-29"),
            ("date_add('year', -1, DATE '2020-02-29')", "2019-02-28"),
            ("date_add('hour', 2, TIMESTAMP '2020-01-01 23:00:00')", "2020-01-02 01:00:00.000"),
            (
                "date_add('millisecond', 5, TIMESTAMP '2020-01-01 00:00:00')",
                "2020-01-01 00:00:00.005",
            ),
            ("date_diff('day', DATE '2020-01-01', DATE '2020-03-01')", "60"),
            (
                (
                    "date_diff('hour', TIMESTAMP '2020-01-01 00:00:00', "
                    "TIMESTAMP '2020-01-01 12:30:00')"
                ),
                "12",
            ),
            (
                (
                    "date_diff('day', TIMESTAMP '2020-01-01 23:00:00', "
                    "TIMESTAMP '2020-01-02 01:00:00')"
                ),
                "0",
            ),
            (
                (
                    "date_diff('second', TIMESTAMP '2020-01-01 00:00:00', "
                    "TIMESTAMP '2020-01-01 00:01:00')"
                ),
                "60",
            ),
            ("date_diff('year', DATE '2019-06-01', DATE '2020-05-31')", "0"),
            ("date_trunc('month', DATE '2020-05-17')", "2020-05-01"),
            ("date_trunc('week', DATE '2020-05-17')", "2020-05-11"),
            (f"date_trunc('hour', {TS})", "2001-08-22 03:00:00.000"),
            (f"date_trunc('year', {TS})", "2001-01-01 00:00:00.000"),
            (f"date_trunc('quarter', {TS})", "2001-07-01 00:00:00.000"),
            (f"date_trunc('second', {TS})", "2001-08-22 03:04:05.000"),
            ("extract(year FROM DATE '2020-05-17')", "2020"),
            (f"extract(DOW FROM {SUNDAY})", "7"),
            (f"extract(DOY FROM {SUNDAY})", "138"),
            (f"extract(hour FROM {TS})", "3"),
            (f"day_of_week({SUNDAY})", "7"),
            (f"dow({SUNDAY})", "7"),
            ("day_of_week(DATE '2020-05-18')", "1"),
            (f"day_of_year({SUNDAY})", "138"),
            (f"week({SUNDAY})", "20"),
            (f"week_of_year({SUNDAY})", "20"),
            ("week(DATE '2021-01-01')", "53"),
            ("year_of_week(DATE '2021-01-01')", "2020"),
            (f"quarter({SUNDAY})", "2"),
            (f"month({SUNDAY})", "5"),
            (f"day({SUNDAY})", "17"),
            (f"day_of_month({SUNDAY})", "17"),
            (f"year({SUNDAY})", "2020"),
            (f"hour({TS})", "3"),
            (f"minute({TS})", "4"),
            (f"second({TS})", "5"),
            (f"millisecond({TS})", "321"),
            ("last_day_of_month(DATE '2020-02-10')", "2020-02-29"),
            ("date('2020-05-10')", "2020-05-10"),
            ("date(TIMESTAMP '2020-05-10 10:00:00')", "2020-05-10"),
            ("from_unixtime(0)", "1970-01-01 00:00:00.000 UTC"),
            ("from_unixtime(1589113696)", "2020-05-10 12:28:16.000 UTC"),
            (
                "from_unixtime(1589113696, 'America/New_York')",
                "2020-05-10 08:28:16.000 America/New_York",
            ),
            ("hour(from_unixtime(1589113696, 'America/New_York'))", "8"),
            ("to_unixtime(TIMESTAMP '1970-01-01 00:00:10')", "10.0"),
            ("to_unixtime(from_unixtime(1589113696))", "1.589113696E9"),
            (
                "from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00')",
                "2020-05-11 11:15:05.055 +01:00",
            ),
            ("hour(from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00'))", "11"),
            (
                "to_iso8601(from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00'))",
                "2020-05-11T11:15:05.055+01:00",
            ),
            ("from_iso8601_timestamp('2020-05-11T11:15:05Z')", "2020-05-11 11:15:05.000 UTC"),
            ("from_iso8601_timestamp('2020-05-11')", "2020-05-11 00:00:00.000 UTC"),
            ("from_iso8601_date('2020-05-11')", "2020-05-11"),
            ("to_iso8601(DATE '2020-05-11')", "2020-05-11"),
            ("to_iso8601(TIMESTAMP '2020-05-11 11:15:05.055')", "2020-05-11T11:15:05.055"),
            ("date_parse('2020-05-10', '%Y-%m-%d')", "2020-05-10 00:00:00.000"),
            ("date_parse('69', '%y')", "2069-01-01 00:00:00.000"),
            ("date_parse('2020-05-10 12:34:56', '%Y-%m-%d %H:%i:%s')", "2020-05-10 12:34:56.000"),
            (
                "date_format(TIMESTAMP '2020-05-10 12:34:56', '%Y-%m-%d %H:%i:%s')",
                "2020-05-10 12:34:56",
            ),
            ("date_format(TIMESTAMP '2020-05-10 12:34:56', '%W %M %e')", "Sunday May 10"),
            ("date_format(TIMESTAMP '2020-05-10 12:34:56', '%a %b %c')", "Sun May 5"),
            (f"date_format({TS}, '%f')", "321000"),
            (
                "format_datetime(TIMESTAMP '2020-05-10 12:34:56', 'yyyy-MM-dd HH:mm')",
                "2020-05-10 12:34",
            ),
            (
                "parse_datetime('2020-05-10 12:34', 'yyyy-MM-dd HH:mm')",
                "2020-05-10 12:34:00.000 UTC",
            ),
            ("typeof(current_timestamp)", "timestamp(3) with time zone"),
            ("typeof(current_date)", "date"),
            ("current_timezone()", "UTC"),
            ("human_readable_seconds(96)", "1 minute, 36 seconds"),
            ("human_readable_seconds(3762)", "1 hour, 2 minutes, 42 seconds"),
            ("human_readable_seconds(56363463)", "93 weeks, 1 day, 8 hours, 31 minutes, 3 seconds"),
            ("to_milliseconds(INTERVAL '1.5' SECOND)", "1500"),
            ("to_milliseconds(INTERVAL '1' DAY)", "86400000"),
            ("parse_duration('3.5h')", "0 03:30:00.000"),
            (
                "TIMESTAMP '2020-05-10 12:34:56' AT TIME ZONE 'America/New_York'",
                "2020-05-10 08:34:56.000 America/New_York",
            ),
            (
                "TIMESTAMP '2020-05-10 12:34:56 UTC' AT TIME ZONE 'America/Los_Angeles'",
                "2020-05-10 05:34:56.000 America/Los_Angeles",
            ),
            (
                "hour(TIMESTAMP '2020-05-10 12:34:56 UTC' AT TIME ZONE 'America/Los_Angeles')",
                "5",
            ),
            (
                "with_timezone(TIMESTAMP '2020-05-10 12:34:56', 'America/New_York')",
                "2020-05-10 12:34:56.000 America/New_York",
            ),
            (
                "at_timezone(TIMESTAMP '2020-05-10 12:34:56 UTC', 'America/New_York')",
                "2020-05-10 08:34:56.000 America/New_York",
            ),
            ("timezone_hour(TIMESTAMP '2020-05-10 12:34:56 America/New_York')", "-4"),
            ("timezone_minute(TIMESTAMP '2020-05-10 12:34:56 +05:30')", "30"),
            (
                "to_unixtime(TIMESTAMP '2020-05-10 12:34:56 America/New_York')",
                "1.589128496E9",
            ),
            ("DATE '2020-01-01' + INTERVAL '2' DAY", "2020-01-03"),
            ("DATE '2020-03-01' - INTERVAL '1' DAY", "2020-02-29"),
            ("DATE '2020-01-31' + INTERVAL '1' MONTH", "2020-02-29"),
            ("TIMESTAMP '2020-01-01 00:00:00' + INTERVAL '1' MONTH", "2020-02-01 00:00:00.000"),
            ("TIMESTAMP '2020-01-01 00:00:00' - INTERVAL '90' MINUTE", "2019-12-31 22:30:00.000"),
            ("TIME '01:00' + INTERVAL '3' HOUR", "04:00:00.000"),
            ("TIME '23:00' + INTERVAL '3' HOUR", "02:00:00.000"),
            ("TIME '01:02:03.456'", "01:02:03.456"),
            ("hour(TIME '01:02:03')", "1"),
            ("INTERVAL '3' DAY", "3 00:00:00.000"),
            ("INTERVAL '2' HOUR + INTERVAL '30' MINUTE", "0 02:30:00.000"),
            ("INTERVAL '1' YEAR + INTERVAL '2' MONTH", "1-2"),
            ("DATE '2020-05-10' < DATE '2020-05-11'", "true"),
            ("date_parse('2020-13-01', '%Y-%m-%d')", Fails("Invalid format")),
        ],
    ),
    *table(
        TYPES,
        [
            ("TIMESTAMP '2020-05-10 12:34:56 UTC'", "2020-05-10 12:34:56.000 UTC"),
            (
                "TIMESTAMP '2020-05-10 12:34:56 America/New_York'",
                "2020-05-10 12:34:56.000 America/New_York",
            ),
            ("TIMESTAMP '2020-05-10 12:34:56.789'", "2020-05-10 12:34:56.789"),
            ("TIMESTAMP '2020-05-10'", "2020-05-10 00:00:00.000"),
            ("DATE '2020-05-10'", "2020-05-10"),
            ("CAST(TIMESTAMP '2020-05-10 12:34:56.789' AS DATE)", "2020-05-10"),
            ("CAST(DATE '2020-05-10' AS TIMESTAMP)", "2020-05-10 00:00:00.000"),
            ("CAST('2020-05-10' AS DATE)", "2020-05-10"),
            ("CAST('2020-05-10 12:34:56' AS TIMESTAMP)", "2020-05-10 12:34:56.000"),
            ("CAST(TIMESTAMP '2020-05-10 12:34:56' AS varchar)", "2020-05-10 12:34:56.000"),
            ("CAST(DATE '2020-05-10' AS varchar)", "2020-05-10"),
            ("CAST('2020-02-30' AS DATE)", Fails("Value cannot be cast to date")),
            ("typeof(TIMESTAMP '2020-05-10 12:34:56.789')", "timestamp(3)"),
            ("typeof(INTERVAL '1' DAY)", "interval day to second"),
        ],
    ),
    *table(
        ATHENA_TZ,
        [
            (
                "TIMESTAMP '2012-10-31 01:00 UTC' AT TIME ZONE 'America/Los_Angeles'",
                "2012-10-30 18:00:00.000 America/Los_Angeles",
            ),
            (
                "date_format(TIMESTAMP '2012-10-31 01:00 UTC' AT TIME ZONE 'Asia/Tokyo', '%H:%i')",
                "10:00",
            ),
        ],
    ),
]
