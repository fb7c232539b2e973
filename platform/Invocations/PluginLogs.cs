using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Invocations;

public sealed record PluginLogEntry(DateTimeOffset Time, string Level, string Message, string? Invocation);

/// <summary>
/// Every <c>ctx.log</c> line, stderr line and platform verdict about a plugin, per plugin and guild, in
/// table <c>pluginlogs</c>. Row keys count down in time so the newest rows come first in a query.
/// A message is cut at <see cref="MaxMessageChars"/>; while an invocation runs (<see cref="BeginInvocation"/>)
/// its first <see cref="MaxLinesPerInvocation"/> lines are written and the rest only counted, then one
/// notice says how many were dropped, so a flood of lines costs no more than the cap. The text is stored
/// as the plugin wrote it: whoever shows it escapes control characters.
/// </summary>
public sealed class PluginLogs(TableServiceClient tables, TimeProvider clock)
{
    public const string TableName = "pluginlogs";
    public const int MaxMessageChars = 4000;
    public const int MaxLinesPerInvocation = 200;
    private static readonly string[] Levels = ["debug", "info", "warning", "error"];
    private readonly Dictionary<string, RunningInvocation> running = new(StringComparer.Ordinal);
    private long _sequence;

    private TableClient Table => tables.GetTableClient(TableName);

    private static string Partition(string pluginId, string? guildId) => $"{pluginId}_{guildId ?? "-"}";

    private static string RunKey(string pluginId, string? guildId, string invocation) => $"{Partition(pluginId, guildId)}/{invocation}";

    public static string NormalizeLevel(string? level) =>
        level?.ToLowerInvariant() switch
        {
            "warn" => "warning",
            "err" or "exception" or "critical" => "error",
            { } known when Levels.Contains(known) => known,
            _ => "info",
        };

    /// <summary>
    /// Caps the lines written with this invocation id until the returned cap is ended (twice at once, as
    /// by a repeated delivery, shares one cap). Lines after the end, such as the platform's verdict, are
    /// written uncapped.
    /// </summary>
    public InvocationLogCap BeginInvocation(string pluginId, string? guildId, string invocation)
    {
        var key = RunKey(pluginId, guildId, invocation);
        lock (running)
        {
            if (!running.TryGetValue(key, out var run))
            {
                running[key] = run = new RunningInvocation();
            }
            run.Holders++;
        }
        return new InvocationLogCap(() => EndInvocationAsync(pluginId, guildId, invocation, key));
    }

    private async Task EndInvocationAsync(string pluginId, string? guildId, string invocation, string key)
    {
        long dropped;
        lock (running)
        {
            var run = running[key];
            if (--run.Holders > 0)
            {
                return;
            }
            running.Remove(key);
            dropped = run.Lines - MaxLinesPerInvocation;
        }
        if (dropped > 0)
        {
            await WriteAsync(pluginId, guildId, "warning", $"… {dropped} more lines of this invocation dropped: at most {MaxLinesPerInvocation} lines are kept per invocation", invocation, CancellationToken.None);
        }
    }

    /// <summary>False for a line beyond its running invocation's cap: counted, not written.</summary>
    private bool Admit(string pluginId, string? guildId, string? invocation)
    {
        if (invocation is null)
        {
            return true;
        }
        lock (running)
        {
            return !running.TryGetValue(RunKey(pluginId, guildId, invocation), out var run) || ++run.Lines <= MaxLinesPerInvocation;
        }
    }

    public Task AppendAsync(string pluginId, string? guildId, string level, string message, string? invocation, CancellationToken cancellationToken) =>
        Admit(pluginId, guildId, invocation) ? WriteAsync(pluginId, guildId, level, message, invocation, cancellationToken) : Task.CompletedTask;

    private async Task WriteAsync(string pluginId, string? guildId, string level, string message, string? invocation, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var sequence = Interlocked.Increment(ref _sequence) % 1_000_000;
        var rowKey = $"{DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks:D19}_{999_999 - sequence:D6}_{Guid.NewGuid():N}";
        await Table.AddEntityAsync(new PluginLogRow
        {
            PartitionKey = Partition(pluginId, guildId),
            RowKey = rowKey,
            Time = now,
            Level = NormalizeLevel(level),
            Message = Cut(message),
            Invocation = invocation,
        }, cancellationToken);
    }

    /// <summary>At most <see cref="MaxMessageChars"/> characters and "…", never half a surrogate pair.</summary>
    private static string Cut(string message)
    {
        if (message.Length <= MaxMessageChars)
        {
            return message;
        }
        var end = char.IsHighSurrogate(message[MaxMessageChars - 1]) ? MaxMessageChars - 1 : MaxMessageChars;
        return message[..end] + "…";
    }

    /// <summary>The newest <paramref name="limit"/> entries, oldest first (newest last).</summary>
    public async Task<IReadOnlyList<PluginLogEntry>> ReadAsync(string pluginId, string? guildId, int limit, CancellationToken cancellationToken)
    {
        var entries = new List<PluginLogEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(pluginId, guildId)}");
        await foreach (var row in Table.QueryAsync<PluginLogRow>(filter, maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
        {
            entries.Add(new PluginLogEntry(row.Time, row.Level, row.Message, row.Invocation));
            if (entries.Count >= limit)
            {
                break;
            }
        }
        entries.Reverse();
        return entries;
    }

    public static JsonArray ToJson(IEnumerable<PluginLogEntry> entries) =>
        new(entries.Select(e => (JsonNode)new JsonObject
        {
            ["time"] = e.Time.ToString("O"),
            ["level"] = e.Level,
            ["message"] = e.Message,
            ["invocation"] = e.Invocation,
        }).ToArray());

    /// <summary>Lines seen so far by an invocation that is running, and how many hold its cap.</summary>
    private sealed class RunningInvocation
    {
        public int Holders;
        public long Lines;
    }
}

/// <summary>An invocation's hold on its line cap (<see cref="PluginLogs.BeginInvocation"/>).</summary>
public sealed class InvocationLogCap(Func<Task> end) : IAsyncDisposable
{
    private int ended;

    /// <summary>Stops capping and writes the notice of the lines dropped, if any; only the first call does.</summary>
    public Task EndAsync() => Interlocked.Exchange(ref ended, 1) == 0 ? end() : Task.CompletedTask;

    public async ValueTask DisposeAsync() => await EndAsync();
}

/// <summary>A row of table <c>pluginlogs</c>.</summary>
public sealed record PluginLogRow : TableRow
{
    public DateTimeOffset Time { get; set; } = DateTimeOffset.MinValue;

    public string Level { get; set; } = "info";

    public string Message { get; set; } = "";

    public string? Invocation { get; set; }
}
