using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using NCrontab;

namespace Serverless.Platform.Schedules;

/// <summary>
/// A five-field UTC cron spec, <c>minute hour day-of-month month day-of-week</c>: the one grammar of the host, for
/// manifest crons, the <c>@plugin.cron</c> specs a plugin registers, and the timer. The SDK's
/// <c>serverless_sdk/cron.py</c> implements the same grammar and rules (docs/protocol.md §6); both are checked
/// against tests/vectors/cron.json. The grammar is ours (the contract); fire times come from NCrontab
/// (docs/architecture.md, "Cron: our grammar, NCrontab's calendar").
/// </summary>
/// <remarks>
/// Each field is a comma list of <c>*</c>, <c>*/N</c>, <c>N</c>, <c>N-M</c>, <c>N-M/S</c> in ASCII digits;
/// day-of-week 0-6, 0 = Sunday. Fields are separated by runs of spaces, spaces around the spec are ignored,
/// any other character outside printable ASCII is refused. When both day fields are restricted (neither begins
/// with <c>*</c>) a day matches if either matches, otherwise it must match both (Vixie cron's rule). A spec that
/// can never fire is refused.
/// </remarks>
public sealed class CronSpec
{
    private static readonly (string Name, int Low, int High)[] Fields =
        [("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 6)];

    private const int DayOfMonthField = 2, MonthField = 3, DayOfWeekField = 4;

    private static readonly int[] LongestMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    // NCrontab requires both day fields to match. For the either-day rule the spec is two schedules, one per day
    // field with the other left free, and it fires at the earlier of their next times.
    private readonly CrontabSchedule[] _schedules;

    private CronSpec(CrontabSchedule[] schedules)
    {
        _schedules = schedules;
    }

    /// <summary>Parses <paramref name="text"/>; otherwise <paramref name="problems"/> has every problem, at most one per field, each naming its field.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out CronSpec? spec, out IReadOnlyList<string> problems)
    {
        spec = null;
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value != ' ' && rune.Value is < 0x21 or > 0x7E)
            {
                problems = [$"cron spec: U+{rune.Value:X4} is not allowed: separate the fields with spaces and use only ASCII (no tabs or newlines)"];
                return false;
            }
        }
        var texts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (texts.Length != Fields.Length)
        {
            problems = [$"cron spec: needs 5 fields (minute hour day-of-month month day-of-week), got {texts.Length}"];
            return false;
        }
        var allowed = new ulong[Fields.Length];
        var found = new List<string>();
        for (var i = 0; i < Fields.Length; i++)
        {
            if (ParseField(texts[i], Fields[i].Name, Fields[i].Low, Fields[i].High, out allowed[i]) is { } problem)
            {
                found.Add(problem);
            }
        }
        problems = found;
        if (found.Count > 0)
        {
            return false;
        }
        var eitherDay = !texts[DayOfMonthField].StartsWith('*') && !texts[DayOfWeekField].StartsWith('*');
        // Can the day-of-month field match at all: does a selected month have its first day? (Every date falls on
        // every weekday in some year, and any month has every weekday.)
        var firstDay = BitOperations.TrailingZeroCount(allowed[DayOfMonthField]);
        var daysCanMatch = Enumerable.Range(1, 12).Any(m => Has(allowed[MonthField], m) && LongestMonth[m - 1] >= firstDay);
        if (!daysCanMatch && !eitherDay)
        {
            problems = [$"cron day-of-month: never fires: no selected month has a day {firstDay}"];
            return false;
        }
        spec = new CronSpec(!eitherDay ? [Schedule(texts)]
            : daysCanMatch ? [Schedule(texts, free: DayOfWeekField), Schedule(texts, free: DayOfMonthField)]
            : [Schedule(texts, free: DayOfMonthField)]);
        return true;
    }

    /// <summary>The fields as NCrontab reads them, single-spaced, with field <paramref name="free"/> (if any) as <c>*</c>.</summary>
    private static CrontabSchedule Schedule(string[] fields, int free = -1) =>
        CrontabSchedule.Parse(string.Join(' ', fields.Select((field, i) => i == free ? "*" : field)));

    /// <summary>The first minute strictly after <paramref name="after"/> that the spec fires, in UTC.</summary>
    /// <exception cref="InvalidOperationException">The next fire would be after the year 9999.</exception>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        // NCrontab answers DateTime.MaxValue (its end time) when nothing fires before the end of its calendar.
        var next = DateTime.MaxValue;
        foreach (var schedule in _schedules)
        {
            var fire = schedule.GetNextOccurrence(after.UtcDateTime);
            next = fire < next ? fire : next;
        }
        return next == DateTime.MaxValue
            ? throw new InvalidOperationException($"the cron spec does not fire after {after:O} before the year 10000")
            : new DateTimeOffset(next, TimeSpan.Zero);
    }

    private static bool Has(ulong set, int value) => (set & (1UL << value)) != 0;

    private static string? ParseField(string text, string field, int low, int high, out ulong allowed)
    {
        allowed = 0;
        foreach (var part in text.Split(','))
        {
            if (ParsePart(part, text, field, low, high, ref allowed) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }

    private static string? ParsePart(string part, string text, string field, int low, int high, ref ulong allowed)
    {
        if (part.Length == 0)
        {
            return $"cron {field}: empty list element in '{text}'";
        }
        var slash = part.IndexOf('/');
        var baseText = slash < 0 ? part : part[..slash];
        var dash = baseText.IndexOf('-');
        int start, end;
        if (baseText == "*")
        {
            (start, end) = (low, high);
        }
        else if (IsNumber(baseText))
        {
            if (Number(baseText, field, low, high, out start) is { } problem)
            {
                return problem;
            }
            end = start;
        }
        else if (dash >= 0 && IsNumber(baseText[..dash]) && IsNumber(baseText[(dash + 1)..]))
        {
            if (Number(baseText[..dash], field, low, high, out start) is { } first)
            {
                return first;
            }
            if (Number(baseText[(dash + 1)..], field, low, high, out end) is { } last)
            {
                return last;
            }
            if (start > end)
            {
                return $"cron {field}: range '{baseText}' runs backwards";
            }
        }
        else if (field is "month" or "day-of-week" && baseText.Length == 3 && baseText.All(char.IsAsciiLetter))
        {
            return $"cron {field}: names such as '{baseText}' are not supported: use numbers {low}-{high}";
        }
        else
        {
            return $"cron {field}: '{baseText}' is not *, a number or a range N-M";
        }

        var step = 1;
        if (slash >= 0)
        {
            if (baseText != "*" && dash < 0)
            {
                return $"cron {field}: a step needs * or a range before it, got '{part}'";
            }
            var stepText = part[(slash + 1)..];
            var (value, shown) = IsNumber(stepText) ? Value(stepText) : (0, "");
            if (value < 1)
            {
                return $"cron {field}: step in '{part}' must be a positive number";
            }
            if (value > high - low + 1)
            {
                return $"cron {field}: step {shown} in '{part}' is more than the field's {high - low + 1} values";
            }
            step = value;
        }
        for (var v = start; v <= end; v += step)
        {
            allowed |= 1UL << v;
        }
        return null;
    }

    private static bool IsNumber(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    /// <summary>The value of a digit string, and how to show it; more than 9 digits counts as too large for any field.</summary>
    private static (int Value, string Shown) Value(string digits)
    {
        var shown = digits.TrimStart('0') is { Length: > 0 } trimmed ? trimmed : "0";
        return (shown.Length <= 9 ? int.Parse(shown, CultureInfo.InvariantCulture) : 1_000_000_000, shown);
    }

    private static string? Number(string text, string field, int low, int high, out int value)
    {
        (value, var shown) = Value(text);
        return value < low || value > high ? $"cron {field}: {shown} is outside {low}-{high}" : null;
    }
}
