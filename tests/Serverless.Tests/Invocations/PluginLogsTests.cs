using Serverless.Platform.Invocations;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Invocations;

public sealed class PluginLogsTests(Azurite azurite)
{
    private async Task<PluginLogs> LogsAsync()
    {
        var tables = azurite.Tables;
        await tables.GetTableClient(PluginLogs.TableName).CreateIfNotExistsAsync();
        return new PluginLogs(tables, TimeProvider.System);
    }

    [Fact]
    public async Task Append_LineLongerThanTheLimit_StoredCutNeverInHalfASurrogatePair()
    {
        var logs = await LogsAsync();
        var plugin = "logs_" + Guid.NewGuid().ToString("N")[..8];
        var emoji = new string('x', PluginLogs.MaxMessageChars - 1) + "🎉" + new string('y', 100_000);

        await logs.AppendAsync(plugin, "1", "info", emoji, "inv-1", CancellationToken.None);

        var stored = Assert.Single(await logs.ReadAsync(plugin, "1", 10, CancellationToken.None)).Message;
        Assert.Equal(new string('x', PluginLogs.MaxMessageChars - 1) + "…", stored);
    }

    [Fact]
    public async Task Append_AfterTheInvocationEnded_UncappedAndTheNoticeWrittenOnce()
    {
        var logs = await LogsAsync();
        var plugin = "logs_" + Guid.NewGuid().ToString("N")[..8];

        await using (var cap = logs.BeginInvocation(plugin, "1", "inv-1"))
        {
            for (var i = 0; i < PluginLogs.MaxLinesPerInvocation + 7; i++)
            {
                await logs.AppendAsync(plugin, "1", "info", $"line {i}", "inv-1", CancellationToken.None);
            }
            await cap.EndAsync();
        }
        await logs.AppendAsync(plugin, "1", "error", "the verdict", "inv-1", CancellationToken.None);

        var stored = await logs.ReadAsync(plugin, "1", 1000, CancellationToken.None);
        Assert.Equal(PluginLogs.MaxLinesPerInvocation + 2, stored.Count);
        Assert.Equal($"line {PluginLogs.MaxLinesPerInvocation - 1}", stored[^3].Message);
        Assert.StartsWith("… 7 more lines of this invocation dropped", stored[^2].Message);
        Assert.Equal("the verdict", stored[^1].Message);
    }
}
