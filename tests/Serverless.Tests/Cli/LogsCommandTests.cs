using System.Text.RegularExpressions;
using Serverless.Cli;
using Serverless.Platform.Invocations;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Portal;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Cli;

/// <summary><c>local/plugin logs</c> against the whole app: what it prints once, and what it refuses.</summary>
[Collection("Docker")]
public sealed class LogsCommandTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private PortalApp _app = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _app = await PortalApp.StartAsync(azurite, docker);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Logs_FollowWithLimit_NewestNThenOnlyNewLinesEachOnce()
    {
        var id = "logs_" + Guid.NewGuid().ToString("N")[..8];
        const string guild = "4242";
        Assert.Equal("published", (await _app.PublishAsync("acme", id, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(id) })))["status"]!.GetValue<string>());
        var logs = new PluginLogs(azurite.Tables, TimeProvider.System);
        for (var i = 1; i <= 10; i++)
        {
            await logs.AppendAsync(id, guild, "info", $"line {i}", null, CancellationToken.None);
        }
        using var cli = _app.Cli();
        using var stop = new CancellationTokenSource();

        var following = cli.RunAsync(["logs", id, "--guild", guild, "--follow", "-n", "3", "--interval", "0.2"], stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        await logs.AppendAsync(id, guild, "info", "line 11", null, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var followed = await following;

        Assert.True(followed.ExitCode == 0, followed.ToString());
        Assert.Equal(["line 8", "line 9", "line 10", "line 11"], Regex.Matches(followed.Out, @"line \d+").Select(m => m.Value));
    }

    [Fact]
    public async Task Logs_PluginNotPublished_Exit1SayingSo()
    {
        using var cli = _app.Cli();

        var result = await cli.RunAsync("logs", "never_published_x", "--guild", "1");
        var json = await cli.RunAsync("logs", "never_published_x", "--json");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("no plugin 'never_published_x' is published", result.Error);
        Assert.Equal(ExitCodes.Failed, json.ExitCode);
    }
}
