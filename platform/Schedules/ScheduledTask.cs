using System.Globalization;
using System.Text.Json.Nodes;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Schedules;

/// <summary>
/// One timed task of an install: a code <c>@plugin.schedule(seconds)</c>, a code <c>@plugin.cron(spec)</c>,
/// or a manifest cron (server-side, for pooled plugins). <see cref="Kind"/> and <see cref="Name"/> are what
/// the plugin is invoked with; <see cref="Key"/> is unique within the install.
/// </summary>
public sealed record ScheduledTask(string Key, string Kind, string Name, TimeSpan? Every, string? Cron, string? ManifestCron)
{
    private const string IntervalPrefix = "s:";
    private const string CronPrefix = "c:";
    private const string ManifestPrefix = "m:";

    public static ScheduledTask Interval(string id, TimeSpan every) => new(IntervalPrefix + id, PluginInvocation.Schedule, id, every, null, null);

    public static ScheduledTask CodeCron(string id, string spec) => new(CronPrefix + id, PluginInvocation.Cron, id, null, spec, null);

    /// <summary>Invoked as a cron task named by the manifest's <c>handler</c>, marked so a pool worker runs it (docs/protocol.md).</summary>
    public static ScheduledTask FromManifest(ManifestCron cron) => new(ManifestPrefix + cron.Id, PluginInvocation.Cron, cron.Handler, null, cron.Spec, cron.Id);

    /// <summary>
    /// What runs for a version: its code's schedules and crons as recorded at publish (the <c>describe</c> result),
    /// unless the plugin is pooled (docs/protocol.md §6: pool workers do not run code tasks), plus its manifest crons.
    /// </summary>
    public static IReadOnlyList<ScheduledTask> For(PluginManifest manifest, JsonObject? registrations)
    {
        var tasks = new List<ScheduledTask>();
        if (!manifest.Pool && registrations is not null)
        {
            foreach (var schedule in registrations["schedules"]?.AsArray() ?? [])
            {
                if (schedule?["id"]?.GetValue<string>() is { Length: > 0 } id && schedule["seconds"]?.GetValue<double>() is { } seconds && seconds > 0)
                {
                    tasks.Add(Interval(id, TimeSpan.FromSeconds(seconds)));
                }
            }
            foreach (var cron in registrations["crons"]?.AsArray() ?? [])
            {
                // Publishing rejected invalid specs; one that still fails to parse (published under the former, looser grammar) is left out rather than failing the install.
                if (cron?["id"]?.GetValue<string>() is { Length: > 0 } id && cron["spec"]?.GetValue<string>() is { } spec && CronSpec.TryParse(spec, out _, out _))
                {
                    tasks.Add(CodeCron(id, spec));
                }
            }
        }
        tasks.AddRange(manifest.Crons.Where(c => CronSpec.TryParse(c.Spec, out _, out _)).Select(FromManifest));
        return tasks.DistinctBy(t => t.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>The first due time for a task scheduled at <paramref name="scheduledAt"/>: one interval later, or the next cron match.</summary>
    public DateTimeOffset FirstDue(DateTimeOffset scheduledAt) =>
        Every is { } every ? scheduledAt + every : NextCron(scheduledAt);

    /// <summary>
    /// The due time after a fire at <paramref name="now"/> of the tick that was due at <paramref name="due"/>: strictly
    /// after now, so ticks missed during downtime are not replayed. Intervals keep their cadence (due + k·every).
    /// </summary>
    public DateTimeOffset NextDue(DateTimeOffset due, DateTimeOffset now)
    {
        if (Every is { } every)
        {
            var behind = Math.Max(0, (now - due).Ticks);
            var steps = behind / every.Ticks + 1;
            return due + TimeSpan.FromTicks(steps * every.Ticks);
        }
        return NextCron(now);
    }

    /// <summary>
    /// The next cron match; never (<see cref="DateTimeOffset.MaxValue"/>) for a spec the grammar refuses, which a due
    /// entry stored under the former, looser grammar may hold (<c>0 9 * * MON</c>): it stops, and the tick goes on.
    /// </summary>
    private DateTimeOffset NextCron(DateTimeOffset after) =>
        CronSpec.TryParse(Cron!, out var spec, out _) ? spec.Next(after) : DateTimeOffset.MaxValue;

    public JsonObject ToJson() => new()
    {
        ["key"] = Key,
        ["kind"] = Kind,
        ["name"] = Name,
        ["every_seconds"] = Every?.TotalSeconds,
        ["cron"] = Cron,
        ["manifest_cron"] = ManifestCron,
    };

    public static ScheduledTask FromJson(JsonObject json) => new(
        json["key"]!.GetValue<string>(),
        json["kind"]!.GetValue<string>(),
        json["name"]!.GetValue<string>(),
        json["every_seconds"]?.GetValue<double>() is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        json["cron"]?.GetValue<string>(),
        json["manifest_cron"]?.GetValue<string>());

    public override string ToString() => Every is { } every
        ? $"{Kind} '{Name}' every {every.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"
        : $"{Kind} '{Name}' at '{Cron}'";
}
