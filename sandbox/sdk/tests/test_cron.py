from __future__ import annotations

import unittest
from datetime import datetime, timedelta, timezone

from serverless_sdk.cron import CronSpec, next_fire


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def fires(spec: str, after: datetime, count: int) -> list[datetime]:
    parsed = CronSpec.parse(spec)
    result = []
    for _ in range(count):
        after = parsed.next_fire(after)
        result.append(after)
    return result


class SeedCronExampleTests(unittest.TestCase):
    def test_NextFire_MondayAt0900_FiresOnMondaysOnly(self) -> None:
        # 2026-04-01 is a Wednesday.
        self.assertEqual(
            fires("0 9 * * 1", utc(2026, 4, 1, 12, 0), 3),
            [utc(2026, 4, 6, 9, 0), utc(2026, 4, 13, 9, 0), utc(2026, 4, 20, 9, 0)],
        )
        self.assertTrue(all(d.weekday() == 0 for d in fires("0 9 * * 1", utc(2026, 1, 1), 20)))

    def test_NextFire_MondayAt0900_FromMondayMorningFiresSameDay(self) -> None:
        self.assertEqual(next_fire("0 9 * * 1", utc(2026, 4, 6, 8, 59, 59)), utc(2026, 4, 6, 9, 0))
        self.assertEqual(next_fire("0 9 * * 1", utc(2026, 4, 6, 9, 0)), utc(2026, 4, 13, 9, 0))

    def test_NextFire_Every15Minutes(self) -> None:
        self.assertEqual(
            fires("*/15 * * * *", utc(2026, 4, 1, 23, 31, 10), 4),
            [utc(2026, 4, 1, 23, 45), utc(2026, 4, 2, 0, 0), utc(2026, 4, 2, 0, 15), utc(2026, 4, 2, 0, 30)],
        )

    def test_NextFire_0030OnTheFirst_EachMonth(self) -> None:
        self.assertEqual(
            fires("30 0 1 * *", utc(2026, 11, 15), 3),
            [utc(2026, 12, 1, 0, 30), utc(2027, 1, 1, 0, 30), utc(2027, 2, 1, 0, 30)],
        )


class CronGrammarTests(unittest.TestCase):
    def test_Parse_AllSeedForms(self) -> None:
        spec = CronSpec.parse("1,5,7 */6 1-10/3 2-4 0-6")
        self.assertEqual(spec.minutes, {1, 5, 7})
        self.assertEqual(spec.hours, {0, 6, 12, 18})
        self.assertEqual(spec.days, {1, 4, 7, 10})
        self.assertEqual(spec.months, {2, 3, 4})
        self.assertEqual(spec.weekdays, set(range(7)))
        self.assertEqual(CronSpec.parse("  0   9 * *  1 ").spec, "0 9 * * 1")

    def test_Parse_InvalidSpecs_RaiseValueError(self) -> None:
        invalid = [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * 32 * *",
            "* * * 13 *",
            "* * * * 7",
            "*/0 * * * *",
            "5-1 * * * *",
            "5/15 * * * *",
            "a * * * *",
            "1,,2 * * * *",
            "* * * JAN *",
            "* * * * MON",
            "-1 * * * *",
            "? * * * *",
            "* * L * *",
            "0 0 30 2 *",  # never fires
            "*/61 * * * *",
        ]
        for spec in invalid:
            with self.subTest(spec=spec):
                with self.assertRaises(ValueError):
                    CronSpec.parse(spec)

    def test_NextFire_DayOfMonthAndWeekdayBothRestricted_BothMustMatch(self) -> None:
        # Friday the 13th (NCrontab's rule): 2026-02-13 and 2026-03-13 are Fridays.
        self.assertEqual(fires("0 0 13 * 5", utc(2026, 1, 1), 2), [utc(2026, 2, 13), utc(2026, 3, 13)])

    def test_NextFire_Leap29February(self) -> None:
        self.assertEqual(next_fire("0 12 29 2 *", utc(2025, 3, 1)), utc(2028, 2, 29, 12, 0))

    def test_NextFire_NaiveInputGivesNaiveOutput_AwareIsConvertedToUtc(self) -> None:
        self.assertEqual(next_fire("0 * * * *", datetime(2026, 1, 1, 10, 30)), datetime(2026, 1, 1, 11, 0))
        plus_two = timezone(timedelta(hours=2))
        self.assertEqual(next_fire("0 9 * * *", datetime(2026, 1, 1, 10, 30, tzinfo=plus_two)), utc(2026, 1, 1, 9, 0))

    def test_NextFire_IsStrictlyAfterAndMatches_ForManySpecs(self) -> None:
        specs = ["*/7 */5 * * *", "0 0 * * 0", "59 23 31 12 *", "15 3 1-7 * 1", "0 12 */10 1,7 *"]
        start = utc(2026, 3, 14, 15, 9, 26)
        for spec in specs:
            parsed = CronSpec.parse(spec)
            after = start
            for _ in range(25):
                fire = parsed.next_fire(after)
                self.assertGreater(fire, after)
                self.assertTrue(parsed.matches(fire), (spec, fire))
                # Nothing in between matches: check minute by minute near the start.
                if fire - after < timedelta(hours=6):
                    probe = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
                    while probe < fire:
                        self.assertFalse(parsed.matches(probe), (spec, probe))
                        probe += timedelta(minutes=1)
                after = fire


if __name__ == "__main__":
    unittest.main()
