#!/usr/bin/env python3
"""Writes tests/vectors/cron.json: cron specs with their next fire times, and specs that must be refused.

The host (platform/Schedules/CronSpec.cs) and the SDK (sandbox/sdk/serverless_sdk/cron.py) both test
against the table. Its fire times come from this oracle, which shares no code with either: it expands
each field by the grammar's definition and scans forward minute by minute from the start (skipping
whole days whose date cannot match), with the day rule of Vixie cron and cronie: when both day fields
are restricted (neither begins with '*'), a day matches if EITHER matches, otherwise both must.
The refusals and their messages are written out below; the oracle checks that each is indeed outside
the grammar or never fires (no matching day in a whole 400-year Gregorian cycle).

Run: python3 tools/cron-vectors.py
"""
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "cron.json"
BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]  # minute hour day-of-month month day-of-week
ELEMENT = re.compile(r"(?:(\*)|(\d+)(?:-(\d+))?)(?:/(\d+))?", re.ASCII)
FIRES = 3  # fire times listed per row

# (spec, starts): each start gives one row with the next FIRES fire times strictly after it.
NEXT = [
    # the SDK's reference examples (sandbox/sdk/tests/seed_examples/08_cron.py)
    ("0 9 * * 1", ["2026-04-01T12:00:00Z", "2026-04-06T08:59:59Z", "2026-04-06T09:00:00Z", "2026-11-20T12:00:00Z"]),
    ("*/15 * * * *", ["2026-04-01T23:31:10Z", "2026-11-20T10:07:00Z", "2026-12-31T23:50:00Z"]),
    ("30 0 1 * *", ["2026-11-15T00:00:00Z", "2026-11-20T12:00:00Z", "2027-01-01T00:30:00Z"]),
    # *
    ("* * * * *", ["2026-03-14T15:09:26Z", "2026-03-14T15:09:00Z", "2026-12-31T23:59:00Z", "2026-06-30T23:59:59.999Z"]),
    # */N
    ("*/7 */5 * * *", ["2026-03-14T15:09:26Z", "2026-03-14T23:58:00Z"]),
    ("*/60 * * * *", ["2026-03-14T15:09:26Z"]),
    ("0 */23 * * *", ["2026-03-14T15:09:26Z", "2026-03-14T23:00:00Z"]),
    ("0 0 */31 * *", ["2026-03-14T15:09:26Z"]),
    ("0 0 1 */12 *", ["2026-03-14T15:09:26Z"]),
    ("0 0 * */5 *", ["2026-03-14T15:09:26Z", "2026-06-30T23:59:00Z"]),
    ("0 0 */10 * *", ["2026-01-25T00:00:00Z", "2026-02-28T12:00:00Z"]),
    ("*/20 */12 */15 */6 *", ["2026-03-14T15:09:26Z", "2026-07-31T12:40:00Z"]),
    # N
    ("5 4 * * *", ["2026-03-14T15:09:26Z", "2026-03-14T04:05:00Z"]),
    ("0 0 1 1 *", ["2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"]),
    ("59 23 31 12 *", ["2026-03-14T15:09:26Z", "2026-12-31T23:59:00Z"]),
    ("05 09 * * 01", ["2026-03-14T15:09:26Z"]),
    ("0 0 * * 0", ["2026-03-14T15:09:26Z", "2026-03-15T00:00:00Z"]),
    ("0 0 * * 6", ["2026-03-14T15:09:26Z", "2026-03-13T23:59:59Z"]),
    ("0 12 * 6 *", ["2026-03-14T15:09:26Z", "2026-06-30T12:00:00Z"]),
    # lists
    ("1,5,7 * * * *", ["2026-03-14T15:09:26Z", "2026-03-14T15:05:00Z"]),
    ("0 0,12 * * *", ["2026-03-14T15:09:26Z", "2026-03-14T11:59:59Z"]),
    ("0 0 1,15 * *", ["2026-03-14T15:09:26Z", "2026-12-15T00:00:00Z"]),
    ("0 0 1 1,7 *", ["2026-03-14T15:09:26Z", "2026-07-01T00:00:00Z"]),
    ("0 0 * * 0,6", ["2026-03-16T00:00:00Z", "2026-03-14T15:09:26Z"]),
    ("1-5,30-35/2 * * * *", ["2026-03-14T15:09:26Z", "2026-03-14T15:31:00Z"]),
    ("*/30,45 * * * *", ["2026-03-14T15:09:26Z"]),
    ("0 9 * * 1,3,5", ["2026-03-14T15:09:26Z"]),
    # ranges
    ("0-4 * * * *", ["2026-03-14T15:09:26Z", "2026-03-14T15:03:30Z"]),
    ("0 9-17 * * 1-5", ["2026-03-14T15:09:26Z", "2026-03-16T17:00:00Z"]),
    ("0 0 1-7 * *", ["2026-03-14T15:09:26Z", "2026-03-07T00:00:00Z"]),
    ("0 0 * 11-12 *", ["2026-03-14T15:09:26Z", "2026-12-31T00:00:00Z"]),
    ("0 22 * * 5-6", ["2026-03-14T15:09:26Z"]),
    ("30 2 * * 0-6", ["2026-03-14T15:09:26Z"]),
    # N-M/S
    ("10-50/20 * * * *", ["2026-03-14T15:09:26Z", "2026-03-14T15:50:00Z"]),
    ("0 0-23/6 * * *", ["2026-03-14T15:09:26Z"]),
    ("0 12 1-31/10 * *", ["2026-03-14T15:09:26Z", "2026-01-31T12:00:00Z"]),
    ("1-5/10 * * * *", ["2026-03-14T15:09:26Z"]),
    ("0 0 1 1-12/4 *", ["2026-03-14T15:09:26Z"]),
    ("0-30/10 8-17 1,15 * 1-5", ["2026-03-14T15:09:26Z", "2026-04-01T08:00:00Z"]),
    ("0 0 * * 1-5/2", ["2026-03-14T15:09:26Z"]),
    # spaces: trimmed, and runs of spaces separate fields like one
    ("  0   9 * *  1 ", ["2026-03-14T15:09:26Z"]),
    ("0 9 * * 1 ", ["2026-03-14T15:09:26Z"]),
    # both day fields restricted: either matches
    ("0 0 13 * 5", ["2026-01-01T00:00:00Z", "2026-02-12T00:00:00Z", "2026-11-01T00:00:00Z"]),
    ("0 0 1 * 1", ["2026-03-14T15:09:26Z", "2026-05-31T00:00:00Z"]),
    ("30 8 1,15 * 0", ["2026-03-14T15:09:26Z"]),
    ("0 0 1-7 * 1", ["2026-03-14T15:09:26Z", "2026-03-31T00:00:00Z"]),
    ("0 0 31 2 1", ["2026-01-01T00:00:00Z"]),
    ("0 0 30 2 0", ["2027-02-01T00:00:00Z"]),
    ("0 0 1-31/2 * 1", ["2026-03-14T15:09:26Z"]),
    ("0 12 15 * 1-5", ["2026-03-14T15:09:26Z"]),
    ("0 0 29 2 1", ["2025-03-01T00:00:00Z"]),
    ("0 0 10,* * 2", ["2026-03-14T15:09:26Z"]),
    # one day field begins with '*' (a step or a list after it too): both must match
    ("0 0 */2 * 1", ["2026-03-14T15:09:26Z"]),
    ("0 0 13 * */7", ["2026-01-01T00:00:00Z"]),
    ("0 0 13 * */2", ["2026-01-01T00:00:00Z"]),
    ("0 0 *,10 * 2", ["2026-03-14T15:09:26Z"]),
    ("0 0 * * 3", ["2026-03-14T15:09:26Z"]),
    ("0 0 13 * *", ["2026-03-14T15:09:26Z"]),
    # 29 February: fires in leap years only
    ("0 0 29 2 *", ["2025-03-01T00:00:00Z", "2028-02-28T23:59:59Z", "2028-02-29T00:00:00Z"]),
    ("0 12 29 2 *", ["2025-03-01T00:00:00Z", "2096-03-01T00:00:00Z"]),
    ("0 0 29,30 2 *", ["2026-03-14T15:09:26Z"]),
    ("0 0 29 1-3 *", ["2027-01-30T00:00:00Z"]),
    ("0 0 29 2 */7", ["2026-03-14T15:09:26Z"]),
    ("* * * * *", ["2028-02-29T10:00:00Z", "2028-02-29T23:59:00Z"]),
    ("0 9 * * 1", ["2028-02-29T08:00:00Z", "2024-02-29T12:00:00Z"]),
    ("0 0 1 3 *", ["2028-02-29T00:00:00Z", "2027-02-28T00:00:00Z"]),
    ("0 0 28 2 *", ["2028-02-28T00:00:00Z"]),
    # month ends and rollovers
    ("0 0 31 * *", ["2026-03-14T15:09:26Z", "2026-03-31T00:00:00Z", "2026-07-31T00:00:00Z"]),
    ("0 0 30 1-3 *", ["2026-01-15T00:00:00Z", "2026-01-30T00:00:00Z"]),
    ("0 0 1 * *", ["2026-01-31T23:59:00Z", "2026-12-31T23:59:59Z"]),
    ("59 23 * * *", ["2026-12-31T23:59:00Z", "2026-12-31T23:58:59Z"]),
    ("0 0 31 1,3,12 *", ["2026-02-01T00:00:00Z", "2026-12-31T00:00:00Z"]),
    ("0 0 30 * *", ["2026-01-30T00:00:00Z"]),
    ("15 10 * 2 *", ["2026-02-28T10:15:00Z", "2028-02-28T10:15:00Z"]),
    ("0 0 * * 4", ["2026-12-31T00:00:00Z"]),
]

# (spec, [(field, message), ...]): what both implementations must say, in this order.
REFUSED = [
    ("", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 0")]),
    ("   ", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 0")]),
    ("* * * *", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 4")]),
    ("* * * * * *", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 6")]),
    ("0 0 9 * * 1", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 6")]),
    ("every monday", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 2")]),
    ("@daily", [("spec", "cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got 1")]),
    ("0\t9 * * 1", [("spec", "cron spec: U+0009 is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("\t0 9 * * 1", [("spec", "cron spec: U+0009 is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("0 9 * * 1\n", [("spec", "cron spec: U+000A is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("0 9 * * 1\r\n", [("spec", "cron spec: U+000D is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("0 9 * * 1\u00a0", [("spec", "cron spec: U+00A0 is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("0 9 * * \u0661", [("spec", "cron spec: U+0661 is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("0\x0b9 * * 1", [("spec", "cron spec: U+000B is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    ("0 9 * * 1\x7f", [("spec", "cron spec: U+007F is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)")]),
    # minute
    ("60 * * * *", [("minute", "cron minute: 60 is outside 0-59")]),
    ("61 * * * *", [("minute", "cron minute: 61 is outside 0-59")]),
    ("99999999999 * * * *", [("minute", "cron minute: 99999999999 is outside 0-59")]),
    ("5-100 * * * *", [("minute", "cron minute: 100 is outside 0-59")]),
    ("*/0 * * * *", [("minute", "cron minute: step in '*/0' must be a positive number")]),
    ("0-59/0 * * * *", [("minute", "cron minute: step in '0-59/0' must be a positive number")]),
    ("*/-1 * * * *", [("minute", "cron minute: step in '*/-1' must be a positive number")]),
    ("*/ * * * *", [("minute", "cron minute: step in '*/' must be a positive number")]),
    ("*/1.5 * * * *", [("minute", "cron minute: step in '*/1.5' must be a positive number")]),
    ("*/2/3 * * * *", [("minute", "cron minute: step in '*/2/3' must be a positive number")]),
    ("*/61 * * * *", [("minute", "cron minute: step 61 in '*/61' is more than the field's 60 values")]),
    ("-1 * * * *", [("minute", "cron minute: '-1' is not *, a number or a range N-M")]),
    ("+1 * * * *", [("minute", "cron minute: '+1' is not *, a number or a range N-M")]),
    ("5-1 * * * *", [("minute", "cron minute: range '5-1' runs backwards")]),
    ("59-0 * * * *", [("minute", "cron minute: range '59-0' runs backwards")]),
    ("5/15 * * * *", [("minute", "cron minute: a step needs * or a range before it, got '5/15'")]),
    ("0/1 * * * *", [("minute", "cron minute: a step needs * or a range before it, got '0/1'")]),
    ("a * * * *", [("minute", "cron minute: 'a' is not *, a number or a range N-M")]),
    ("1,,2 * * * *", [("minute", "cron minute: empty list element in '1,,2'")]),
    (",1 * * * *", [("minute", "cron minute: empty list element in ',1'")]),
    ("1, * * * *", [("minute", "cron minute: empty list element in '1,'")]),
    ("? * * * *", [("minute", "cron minute: '?' is not *, a number or a range N-M")]),
    ("1-2-3 * * * *", [("minute", "cron minute: '1-2-3' is not *, a number or a range N-M")]),
    ("*-5 * * * *", [("minute", "cron minute: '*-5' is not *, a number or a range N-M")]),
    ("1.5 * * * *", [("minute", "cron minute: '1.5' is not *, a number or a range N-M")]),
    ("** * * * *", [("minute", "cron minute: '**' is not *, a number or a range N-M")]),
    ("1,61 * * * *", [("minute", "cron minute: 61 is outside 0-59")]),
    # hour
    ("* 24 * * *", [("hour", "cron hour: 24 is outside 0-23")]),
    ("0 25 * * *", [("hour", "cron hour: 25 is outside 0-23")]),
    ("0 */25 * * *", [("hour", "cron hour: step 25 in '*/25' is more than the field's 24 values")]),
    ("0 17-9 * * *", [("hour", "cron hour: range '17-9' runs backwards")]),
    # day-of-month
    ("* * 0 * *", [("day-of-month", "cron day-of-month: 0 is outside 1-31")]),
    ("* * 32 * *", [("day-of-month", "cron day-of-month: 32 is outside 1-31")]),
    ("* * L * *", [("day-of-month", "cron day-of-month: 'L' is not *, a number or a range N-M")]),
    ("* * 15W * *", [("day-of-month", "cron day-of-month: '15W' is not *, a number or a range N-M")]),
    ("* * ? * 1", [("day-of-month", "cron day-of-month: '?' is not *, a number or a range N-M")]),
    ("0 0 */32 * *", [("day-of-month", "cron day-of-month: step 32 in '*/32' is more than the field's 31 values")]),
    # month
    ("* * * 13 *", [("month", "cron month: 13 is outside 1-12")]),
    ("* * * 0 *", [("month", "cron month: 0 is outside 1-12")]),
    ("* * * JAN *", [("month", "cron month: names such as 'JAN' are not supported: use numbers 1-12")]),
    ("* * * jan-mar *", [("month", "cron month: 'jan-mar' is not *, a number or a range N-M")]),
    ("0 0 1 12-1 *", [("month", "cron month: range '12-1' runs backwards")]),
    # day-of-week
    ("* * * * 7", [("day-of-week", "cron day-of-week: 7 is outside 0-6")]),
    ("0 9 * * 8", [("day-of-week", "cron day-of-week: 8 is outside 0-6")]),
    ("* * * * 0-7", [("day-of-week", "cron day-of-week: 7 is outside 0-6")]),
    ("* * * * MON", [("day-of-week", "cron day-of-week: names such as 'MON' are not supported: use numbers 0-6")]),
    ("* * * * sun", [("day-of-week", "cron day-of-week: names such as 'sun' are not supported: use numbers 0-6")]),
    ("* * * * 1#2", [("day-of-week", "cron day-of-week: '1#2' is not *, a number or a range N-M")]),
    ("* * * * 5L", [("day-of-week", "cron day-of-week: '5L' is not *, a number or a range N-M")]),
    ("0 0 * * 007", [("day-of-week", "cron day-of-week: 7 is outside 0-6")]),
    ("* * * * 6-1", [("day-of-week", "cron day-of-week: range '6-1' runs backwards")]),
    ("* * * * */8", [("day-of-week", "cron day-of-week: step 8 in '*/8' is more than the field's 7 values")]),
    # several fields wrong: every one named, in field order
    ("60 24 * * *", [("minute", "cron minute: 60 is outside 0-59"), ("hour", "cron hour: 24 is outside 0-23")]),
    ("61 * 32 13 8", [("minute", "cron minute: 61 is outside 0-59"), ("day-of-month", "cron day-of-month: 32 is outside 1-31"),
                      ("month", "cron month: 13 is outside 1-12"), ("day-of-week", "cron day-of-week: 8 is outside 0-6")]),
    ("5/5,99 MON * * x", [("minute", "cron minute: a step needs * or a range before it, got '5/5'"),
                          ("hour", "cron hour: 'MON' is not *, a number or a range N-M"),
                          ("day-of-week", "cron day-of-week: 'x' is not *, a number or a range N-M")]),
    # specs that never fire: no selected month has the day
    ("0 0 30 2 *", [("day-of-month", "cron day-of-month: never fires: no selected month has a day 30")]),
    ("0 0 31 2 *", [("day-of-month", "cron day-of-month: never fires: no selected month has a day 31")]),
    ("0 0 30,31 2 *", [("day-of-month", "cron day-of-month: never fires: no selected month has a day 30")]),
    ("0 0 31 4,6,9,11 *", [("day-of-month", "cron day-of-month: never fires: no selected month has a day 31")]),
    ("0 0 31 2,4 *", [("day-of-month", "cron day-of-month: never fires: no selected month has a day 31")]),
    ("0 0 30 2 */2", [("day-of-month", "cron day-of-month: never fires: no selected month has a day 30")]),
]


def fields_of(spec):
    """The five expanded fields and the two day-field star flags, or None if the spec is outside the grammar."""
    if any(not ("!" <= c <= "~" or c == " ") for c in spec):
        return None
    texts = [t for t in spec.split(" ") if t]
    if len(texts) != 5:
        return None
    sets = []
    for text, (low, high) in zip(texts, BOUNDS):
        values = set()
        for element in text.split(","):
            m = ELEMENT.fullmatch(element)
            if not m:
                return None
            star, first, last, step = m.groups()
            a, b = (low, high) if star else (int(first), int(last if last is not None else first))
            if not (low <= a <= high and low <= b <= high and a <= b):
                return None
            if step is not None and (not (star or last) or not 1 <= int(step) <= high - low + 1):
                return None
            values.update(range(a, b + 1, int(step or 1)))
        sets.append(values)
    return sets, texts[2].startswith("*"), texts[4].startswith("*")


def day_matches(parsed, day):
    (_, _, doms, months, dows), dom_star, dow_star = parsed
    if day.month not in months:
        return False
    in_dom, in_dow = day.day in doms, day.isoweekday() % 7 in dows
    return (in_dom and in_dow) if dom_star or dow_star else (in_dom or in_dow)


def next_fires(parsed, after):
    minutes, hours = parsed[0][0], parsed[0][1]
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    horizon = after + timedelta(days=366 * 150)
    fires = []
    while len(fires) < FIRES:
        assert t < horizon, "no fire within 150 years"
        if not day_matches(parsed, t):
            t = t.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if t.hour in hours and t.minute in minutes:
            fires.append(t)
        t += timedelta(minutes=1)
    return fires


def never_fires(parsed):
    day = datetime(2000, 1, 1)
    for _ in range(146097):  # days in 400 Gregorian years
        if day_matches(parsed, day):
            return False
        day += timedelta(days=1)
    return True


def instant(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    rows = []
    for spec, starts in NEXT:
        parsed = fields_of(spec)
        assert parsed is not None and not never_fires(parsed), spec
        for start in starts:
            rows.append({"spec": spec, "after": start, "fires": [iso(f) for f in next_fires(parsed, instant(start))]})
    refused = []
    for spec, errors in REFUSED:
        parsed = fields_of(spec)
        assert parsed is None or never_fires(parsed), spec
        assert all(message.startswith(f"cron {field}: ") for field, message in errors), spec
        refused.append({"spec": spec, "errors": [{"field": field, "message": message} for field, message in errors]})
    lines = ['{', '  "about": "generated by tools/cron-vectors.py; do not edit. next: the first fire times strictly after each start (UTC). refused: the problems, in order.",',
             '  "next": [']
    lines += ["    " + json.dumps(row) + ("," if i < len(rows) - 1 else "") for i, row in enumerate(rows)]
    lines += ["  ],", '  "refused": [']
    lines += ["    " + json.dumps(row) + ("," if i < len(refused) - 1 else "") for i, row in enumerate(refused)]
    lines += ["  ]", "}", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="ascii")
    print(f"{OUT}: {len(rows)} start instants over {len(NEXT)} specs, {len(refused)} refusals")


if __name__ == "__main__":
    main()
