"""Five-field cron specs in UTC: "minute hour day-of-month month day-of-week".

The grammar and the rules below are the host's too (its timer fires what this
module computes); both are checked against the shared table
tests/vectors/cron.json.

- Each field is a comma list of ``*``, ``*/N``, ``N``, ``N-M`` and ``N-M/S``,
  numbers in ASCII digits: minute 0-59, hour 0-23, day-of-month 1-31, month
  1-12, day-of-week 0-6 (0 = Sunday). A step is at least 1 and at most the
  field's number of values, and follows ``*`` or a range.
- Fields are separated by spaces (a run of spaces counts as one); spaces
  around the spec are ignored. Tabs, newlines and any other character outside
  printable ASCII are refused, and so are names (``MON``, ``JAN``), ``7``
  for Sunday, ``?``, ``L``, ``W``, ``#`` and ``N/S``.
- Day-of-month and day-of-week combine as in Vixie cron and cronie: when both
  are restricted (neither begins with ``*``), a day matches if EITHER
  matches; otherwise it must match both (so ``0 0 13 * 5`` fires every Friday
  and every 13th, and ``0 0 */2 * 1`` only on Mondays with an odd date).
- A spec that can never fire (``0 0 30 2 *``, ``0 0 31 4,6,9,11 *``) is
  refused; ``0 0 29 2 *`` fires in leap years.

Every problem is reported, at most one per field, each naming its field:
``cron day-of-month: 32 is outside 1-31``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["CronError", "CronSpec", "parse_cron", "next_fire"]

_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 6),
)
_NAMED_FIELDS = frozenset({"month", "day-of-week"})  # where other crons take JAN or MON
_LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class CronError(ValueError):
    """An invalid spec; ``problems`` lists each one, its message naming the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


class _Problem(Exception):
    pass


def _is_number(text: str) -> bool:
    return text != "" and all(c in _DIGITS for c in text)


def _value(digits: str) -> tuple[int, str]:
    """The value of a digit string, and how to show it; more than 9 digits counts as too large for any field."""
    shown = digits.lstrip("0") or "0"
    return (int(shown) if len(shown) <= 9 else 10**9), shown


def _number(text: str, field: str, low: int, high: int) -> int:
    value, shown = _value(text)
    if not low <= value <= high:
        raise _Problem(f"cron {field}: {shown} is outside {low}-{high}")
    return value


def _parse_part(part: str, text: str, field: str, low: int, high: int) -> range:
    if part == "":
        raise _Problem(f"cron {field}: empty list element in '{text}'")
    base, slash, step_text = part.partition("/")
    first, dash, last = base.partition("-")
    if base == "*":
        start, end = low, high
    elif _is_number(base):
        start = end = _number(base, field, low, high)
    elif dash and _is_number(first) and _is_number(last):
        start, end = _number(first, field, low, high), _number(last, field, low, high)
        if start > end:
            raise _Problem(f"cron {field}: range '{base}' runs backwards")
    elif field in _NAMED_FIELDS and len(base) == 3 and all(c in _LETTERS for c in base):
        raise _Problem(f"cron {field}: names such as '{base}' are not supported: use numbers {low}-{high}")
    else:
        raise _Problem(f"cron {field}: '{base}' is not *, a number or a range N-M")
    if not slash:
        return range(start, end + 1)
    if base != "*" and not dash:
        raise _Problem(f"cron {field}: a step needs * or a range before it, got '{part}'")
    step, shown = _value(step_text) if _is_number(step_text) else (0, "")
    if step < 1:
        raise _Problem(f"cron {field}: step in '{part}' must be a positive number")
    if step > high - low + 1:
        raise _Problem(f"cron {field}: step {shown} in '{part}' is more than the field's {high - low + 1} values")
    return range(start, end + 1, step)


def _parse_field(text: str, field: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        values.update(_parse_part(part, text, field, low, high))
    return frozenset(values)


@dataclass(frozen=True)
class CronSpec:
    spec: str  # the fields joined by single spaces
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    either_day: bool  # both day fields restricted: a day matches if either matches

    @classmethod
    def parse(cls, spec: str) -> "CronSpec":
        """The parsed spec; raises :class:`CronError` (a ``ValueError``) listing every problem."""
        if not isinstance(spec, str):
            raise CronError([f"cron spec: must be a string, got {type(spec).__name__}"])
        for c in spec:
            if not ("!" <= c <= "~" or c == " "):
                raise CronError([
                    f"cron spec: U+{ord(c):04X} is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)"
                ])
        texts = [text for text in spec.split(" ") if text]
        if len(texts) != 5:
            raise CronError([
                f"cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got {len(texts)}"
            ])
        fields: list[frozenset[int]] = []
        problems: list[str] = []
        for text, (name, low, high) in zip(texts, _FIELDS):
            try:
                fields.append(_parse_field(text, name, low, high))
            except _Problem as problem:
                problems.append(str(problem))
        if problems:
            raise CronError(problems)
        either_day = not texts[2].startswith("*") and not texts[4].startswith("*")
        parsed = cls(" ".join(texts), *fields, either_day)
        # Both day fields must match: the day must exist in a selected month (every date
        # falls on every weekday in some year). Either may match: any month has every weekday.
        if not either_day and min(parsed.days) > max(_LONGEST_MONTH[m - 1] for m in parsed.months):
            raise CronError([f"cron day-of-month: never fires: no selected month has a day {min(parsed.days)}"])
        return parsed

    def matches(self, when: datetime) -> bool:
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and when.month in self.months
            and self._day_matches(when)
        )

    def _day_matches(self, when: datetime) -> bool:
        in_days = when.day in self.days
        in_weekdays = (when.weekday() + 1) % 7 in self.weekdays  # Python: Monday=0; cron: Sunday=0
        return (in_days or in_weekdays) if self.either_day else (in_days and in_weekdays)

    def next_fire(self, after: datetime) -> datetime:
        """The first minute strictly after ``after`` that the spec fires.

        An aware ``after`` is converted to UTC and the result is aware UTC; a
        naive one is taken as UTC and the result is naive. Raises ValueError
        when the next fire would be after the year 9999.
        """
        aware = after.tzinfo is not None
        start = after.astimezone(timezone.utc).replace(tzinfo=None) if aware else after
        try:
            t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
            while True:
                if t.month not in self.months:
                    t = (t.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
                elif not self._day_matches(t):
                    t = (t + timedelta(days=1)).replace(hour=0, minute=0)
                elif t.hour not in self.hours:
                    t = (t + timedelta(hours=1)).replace(minute=0)
                elif t.minute not in self.minutes:
                    t += timedelta(minutes=1)
                else:
                    return t.replace(tzinfo=timezone.utc) if aware else t
        except OverflowError:
            raise ValueError(f"cron spec {self.spec!r} does not fire after {after.isoformat()} before the year 10000") from None


def parse_cron(spec: str) -> CronSpec:
    return CronSpec.parse(spec)


def next_fire(spec: str | CronSpec, after: datetime) -> datetime:
    parsed = spec if isinstance(spec, CronSpec) else CronSpec.parse(spec)
    return parsed.next_fire(after)
