from __future__ import annotations

import json
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

from serverless_sdk.cron import CronError, CronSpec, next_fire


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

    def test_NextFire_DayOfMonthAndWeekdayBothRestricted_EitherMatches(self) -> None:
        # Every Friday and every 13th, as in Vixie cron (2026-01-02 and -09 are Fridays, the 13th a Tuesday).
        self.assertEqual(fires("0 0 13 * 5", utc(2026, 1, 1), 3), [utc(2026, 1, 2), utc(2026, 1, 9), utc(2026, 1, 13)])

    def test_NextFire_OneDayFieldBeginsWithStar_BothMustMatch(self) -> None:
        # Mondays with an odd date: 2026-03-23, 2026-04-13.
        self.assertEqual(fires("0 0 */2 * 1", utc(2026, 3, 14), 2), [utc(2026, 3, 23), utc(2026, 4, 13)])

    def test_NextFire_Leap29February(self) -> None:
        self.assertEqual(next_fire("0 12 29 2 *", utc(2025, 3, 1)), utc(2028, 2, 29, 12, 0))
        self.assertEqual(next_fire("0 12 29 2 *", utc(2096, 3, 1)), utc(2104, 2, 29, 12, 0))

    def test_NextFire_FromA29February_DoesNotRaise(self) -> None:
        self.assertEqual(next_fire("* * * * *", utc(2028, 2, 29, 10, 0)), utc(2028, 2, 29, 10, 1))
        self.assertEqual(next_fire("0 9 * * 1", utc(2028, 2, 29, 8, 0)), utc(2028, 3, 6, 9, 0))

    def test_NextFire_PastTheYear9999_RaisesValueError(self) -> None:
        with self.assertRaises(ValueError):
            next_fire("0 0 1 1 *", datetime(9999, 6, 1))

    def test_Parse_Tab_Refused(self) -> None:
        for spec in ("0\t9 * * 1", "0 9 * * 1\t", "0 9 * * 1\n"):
            with self.subTest(spec=spec):
                with self.assertRaisesRegex(ValueError, "^cron spec: U\\+000[9A] is not allowed"):
                    CronSpec.parse(spec)

    def test_Parse_SeveralBadFields_EachNamed(self) -> None:
        with self.assertRaises(CronError) as raised:
            CronSpec.parse("61 * 32 * 7")
        self.assertEqual(
            raised.exception.problems,
            ("cron minute: 61 is outside 0-59", "cron day-of-month: 32 is outside 1-31", "cron day-of-week: 7 is outside 0-6"),
        )

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


class SharedVectorTests(unittest.TestCase):
    """tests/vectors/cron.json, which the host's tests read too; its times come from tools/cron-vectors.py."""

    vectors = json.loads((Path(__file__).resolve().parents[3] / "tests" / "vectors" / "cron.json").read_text())

    def test_NextFire_EveryVector_EqualsTheOracle(self) -> None:
        self.assertGreaterEqual(len(self.vectors["next"]), 100)
        for row in self.vectors["next"]:
            with self.subTest(spec=row["spec"], after=row["after"]):
                parsed = CronSpec.parse(row["spec"])
                after = datetime.fromisoformat(row["after"])
                got = []
                for _ in row["fires"]:
                    after = parsed.next_fire(after)
                    got.append(after.strftime("%Y-%m-%dT%H:%M:%SZ"))
                self.assertEqual(got, row["fires"])

    def test_Parse_EveryRefusedVector_RaisesItsProblemsNamingTheField(self) -> None:
        for row in self.vectors["refused"]:
            with self.subTest(spec=row["spec"]):
                with self.assertRaises(CronError) as raised:
                    CronSpec.parse(row["spec"])
                self.assertEqual(list(raised.exception.problems), [e["message"] for e in row["errors"]])
                for problem, error in zip(raised.exception.problems, row["errors"]):
                    self.assertTrue(problem.startswith(f"cron {error['field']}: "), problem)


if __name__ == "__main__":
    unittest.main()
