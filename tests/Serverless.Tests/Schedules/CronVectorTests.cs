using System.Globalization;
using System.Text.Json.Nodes;
using NCrontab;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Schedules;

/// <summary>
/// tests/vectors/cron.json through the host's callers of the cron grammar: the timer's due times and the manifest
/// parser. The SDK's tests read the same table; its fire times come from the oracle tools/cron-vectors.py.
/// </summary>
public sealed class CronVectorTests
{
    private static readonly JsonObject Vectors = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "vectors", "cron.json")))!.AsObject();

    private static readonly PluginManifest CodeOnly = new() { Id = "p", Version = PluginVersion.Parse("1.0.0") };

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static ManifestParseResult ParseCron(string spec) => ManifestParser.Parse(PluginZip.Utf8(PluginZip.Manifest(extra: new JsonObject
    {
        ["pool"] = true,
        ["crons"] = new JsonArray(new JsonObject { ["id"] = "c", ["spec"] = spec, ["handler"] = "weekly_report" }),
    })));

    private static JsonObject Registration(string spec) => new() { ["crons"] = new JsonArray(new JsonObject { ["id"] = "t", ["spec"] = spec }) };

    [Fact]
    public void NextDue_EveryVector_FiresAtTheOraclesTimes()
    {
        var rows = Vectors["next"]!.AsArray();
        Assert.True(rows.Count >= 100, $"{rows.Count} vectors");
        var wrong = new List<string>();
        foreach (var row in rows)
        {
            var spec = row!["spec"]!.GetValue<string>();
            var after = row["after"]!.GetValue<string>();
            var expected = row["fires"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
            var got = new List<string>();
            try
            {
                var task = Assert.Single(ScheduledTask.For(CodeOnly, Registration(spec)));
                var due = task.FirstDue(DateTimeOffset.Parse(after, CultureInfo.InvariantCulture));
                got.Add(Iso(due));
                while (got.Count < expected.Count)
                {
                    due = task.NextDue(due, due);
                    got.Add(Iso(due));
                }
            }
            catch (Exception e)
            {
                got.Add(e.GetType().Name + ": " + e.Message);
            }
            if (!got.SequenceEqual(expected))
            {
                wrong.Add($"'{spec}' after {after}: expected {string.Join(", ", expected)}; got {string.Join(", ", got)}");
            }
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {rows.Count} vectors differ:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Parse_EveryFiringVector_Accepted()
    {
        var refused = Vectors["next"]!.AsArray().Select(row => row!["spec"]!.GetValue<string>()).Distinct()
            .Select(spec => (Spec: spec, Result: ParseCron(spec)))
            .Where(r => !r.Result.IsValid)
            .Select(r => $"'{r.Spec}': {string.Join("; ", r.Result.Errors)}")
            .ToList();
        Assert.True(refused.Count == 0, string.Join("\n", refused));
    }

    [Fact]
    public void Parse_EveryRefusedVector_InvalidCronWithEachProblemNamingItsField()
    {
        var wrong = new List<string>();
        foreach (var row in Vectors["refused"]!.AsArray())
        {
            var spec = row!["spec"]!.GetValue<string>();
            var expected = row["errors"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
            Assert.All(row["errors"]!.AsArray(), e => Assert.StartsWith($"cron {e!["field"]}: ", e["message"]!.GetValue<string>(), StringComparison.Ordinal));
            // An empty spec is refused by the manifest's length rule before the grammar.
            var errors = spec.Length == 0 ? [] : ParseCron(spec).Errors;
            var ok = spec.Length == 0 || errors.Count == expected.Count
                && errors.Zip(expected).All(pair => pair.First.Code == IssueCodes.InvalidCron && pair.First.Path == "$.crons[0].spec" && pair.First.Message.EndsWith(": " + pair.Second, StringComparison.Ordinal));
            if (!ok)
            {
                wrong.Add($"'{spec}': expected {string.Join(" | ", expected)}; got {string.Join(" | ", errors)}");
            }
            if (ScheduledTask.For(CodeOnly, Registration(spec)).Count != 0)
            {
                wrong.Add($"'{spec}': the timer schedules it");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void TryParse_EveryRefusedVector_ListsItsProblemsInFieldOrder()
    {
        var wrong = new List<string>();
        foreach (var row in Vectors["refused"]!.AsArray())
        {
            var spec = row!["spec"]!.GetValue<string>();
            var expected = row["errors"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
            if (CronSpec.TryParse(spec, out _, out var problems) || !problems.SequenceEqual(expected))
            {
                wrong.Add($"'{spec}': expected {string.Join(" | ", expected)}; got {string.Join(" | ", problems)}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Next_AfterTheLastFireBeforeTheYear10000_Throws()
    {
        Assert.True(CronSpec.TryParse("0 0 1 1 *", out var spec, out _));
        Assert.Equal(new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero), spec.Next(new DateTimeOffset(9998, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Throws<InvalidOperationException>(() => spec.Next(new DateTimeOffset(9999, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Throws<InvalidOperationException>(() => spec.Next(DateTimeOffset.MaxValue));
    }

    /// <summary>
    /// Why CronSpec composes two NCrontab schedules when both day fields are restricted: NCrontab alone fires only
    /// on days that match both (Friday the 13th), where our grammar, as Unix cron, fires on either (every 13th and every Friday).
    /// </summary>
    [Fact]
    public void Next_BothDayFieldsRestricted_EitherMatchesWhereNCrontabAloneNeedsBoth()
    {
        var saturday = new DateTime(2026, 11, 14, 0, 0, 0, DateTimeKind.Utc);
        Assert.True(CronSpec.TryParse("0 0 13 * 5", out var spec, out _));

        Assert.Equal(new DateTime(2027, 8, 13, 0, 0, 0, DateTimeKind.Utc), CrontabSchedule.Parse("0 0 13 * 5").GetNextOccurrence(saturday));
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero), spec.Next(saturday));
        Assert.Equal(new DateTimeOffset(2026, 12, 13, 0, 0, 0, TimeSpan.Zero), spec.Next(new DateTimeOffset(2026, 12, 11, 0, 0, 0, TimeSpan.Zero)));
    }
}
