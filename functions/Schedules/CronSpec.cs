using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace Serverless.Functions.Schedules;

/// <summary>
/// A five-field UTC cron spec, <c>minute hour day-of-month month day-of-week</c>: the one grammar of the host, for
/// manifest crons, the <c>@plugin.cron</c> specs a plugin registers, and the timer. The SDK's
/// <c>serverless_sdk/cron.py</c> implements the same grammar and rules (docs/protocol.md §6); both are checked
/// against tests/vectors/cron.json.
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

    private static readonly int[] LongestMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    // One bit per allowed value, per field in the order of Fields.
    private readonly ulong[] _allowed;
    private readonly bool _eitherDay;

    private CronSpec(ulong[] allowed, bool eitherDay)
    {
        _allowed = allowed;
        _eitherDay = eitherDay;
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
        var eitherDay = !texts[2].StartsWith('*') && !texts[4].StartsWith('*');
        // Both day fields must match: the day must exist in a selected month (every date falls on every weekday in
        // some year). Either may match: any month has every weekday.
        var firstDay = BitOperations.TrailingZeroCount(allowed[2]);
        if (!eitherDay && Enumerable.Range(1, 12).Where(m => Has(allowed[3], m)).All(m => LongestMonth[m - 1] < firstDay))
        {
            problems = [$"cron day-of-month: never fires: no selected month has a day {firstDay}"];
            return false;
        }
        spec = new CronSpec(allowed, eitherDay);
        return true;
    }

    /// <summary>The first minute strictly after <paramref name="after"/> that the spec fires, in UTC.</summary>
    /// <exception cref="InvalidOperationException">The next fire would be after the year 9999.</exception>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        var utc = after.UtcDateTime;
        var t = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc);
        try
        {
            t = t.AddMinutes(1);
            while (true)
            {
                if (!Has(_allowed[3], t.Month))
                {
                    t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
                }
                else if (!DayMatches(t))
                {
                    t = t.Date.AddDays(1);
                }
                else if (!Has(_allowed[1], t.Hour))
                {
                    t = t.Date.AddHours(t.Hour + 1);
                }
                else if (!Has(_allowed[0], t.Minute))
                {
                    t = t.AddMinutes(1);
                }
                else
                {
                    return new DateTimeOffset(t);
                }
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new InvalidOperationException($"the cron spec does not fire after {after:O} before the year 10000");
        }
    }

    private bool DayMatches(DateTime t)
    {
        var inDays = Has(_allowed[2], t.Day);
        var inWeekdays = Has(_allowed[4], (int)t.DayOfWeek); // DayOfWeek.Sunday is 0, as in cron
        return _eitherDay ? inDays || inWeekdays : inDays && inWeekdays;
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
