"""Five-field cron specs in UTC: "minute hour day-of-month month day-of-week".

Each field accepts ``*``, ``*/N``, ``N``, ``N-M``, ``N-M/S`` and comma lists
of those. Day-of-week is 0 (Sunday) to 6 (Saturday). Names (MON, JAN), ``7``
for Sunday, ``?``, ``L`` and ``#`` are rejected: the host validates manifests
with the same grammar and the two sides must agree on what is valid.

When day-of-month and day-of-week are both restricted, a day must match BOTH
(NCrontab's rule, which the host's timer uses), not either (Vixie cron's).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["CronSpec", "parse_cron", "next_fire"]

_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 6),
)

# Any satisfiable spec fires within 28 years (the Gregorian weekday/leap cycle).
_SEARCH_YEARS = 29


def _number(text: str, field: str, low: int, high: int) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"cron {field}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"cron {field}: {value} is outside {low}-{high}")
    return value


def _parse_field(text: str, field: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f"cron {field}: empty list element in {text!r}")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not step_text.isascii() or int(step_text) < 1:
                raise ValueError(f"cron {field}: step in {part!r} must be a positive number")
            step = int(step_text)
            if step > high - low + 1:
                raise ValueError(f"cron {field}: step {step} in {part!r} is larger than the field's range")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _number(first, field, low, high)
            end = _number(last, field, low, high)
            if start > end:
                raise ValueError(f"cron {field}: range {base!r} runs backwards")
        else:
            if slash:
                raise ValueError(f"cron {field}: a step needs * or a range before it, got {part!r}")
            start = end = _number(base, field, low, high)
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSpec:
    spec: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, spec: str) -> "CronSpec":
        if not isinstance(spec, str):
            raise ValueError(f"cron spec must be a string, got {type(spec).__name__}")
        parts = spec.split()
        if len(parts) != 5:
            raise ValueError(
                f"cron spec {spec!r} must have 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
            )
        fields = [_parse_field(text, name, low, high) for text, (name, low, high) in zip(parts, _FIELDS)]
        parsed = cls(" ".join(parts), *fields)
        longest = max(calendar.monthrange(2000, m)[1] for m in parsed.months)  # 2000 is a leap year
        if min(parsed.days) > longest:
            raise ValueError(f"cron spec {spec!r} never fires: no selected month has day {min(parsed.days)}")
        return parsed

    def matches(self, when: datetime) -> bool:
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and when.month in self.months
            and self._day_matches(when)
        )

    def _day_matches(self, when: datetime) -> bool:
        weekday = (when.weekday() + 1) % 7  # Python: Monday=0; cron: Sunday=0
        return when.day in self.days and weekday in self.weekdays

    def next_fire(self, after: datetime) -> datetime:
        """The first time strictly after ``after`` that the spec fires.

        An aware ``after`` is converted to UTC and the result is aware UTC; a
        naive one is taken as UTC and the result is naive.
        """
        aware = after.tzinfo is not None
        start = after.astimezone(timezone.utc).replace(tzinfo=None) if aware else after
        t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t.replace(year=min(t.year + _SEARCH_YEARS, 9999))
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
                continue
            if not self._day_matches(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t.replace(tzinfo=timezone.utc) if aware else t
        raise ValueError(f"cron spec {self.spec!r} does not fire after {after.isoformat()}")


def parse_cron(spec: str) -> CronSpec:
    return CronSpec.parse(spec)


def next_fire(spec: str | CronSpec, after: datetime) -> datetime:
    parsed = spec if isinstance(spec, CronSpec) else CronSpec.parse(spec)
    return parsed.next_fire(after)
