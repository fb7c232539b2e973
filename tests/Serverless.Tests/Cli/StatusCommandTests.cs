using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Cli;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Cli;

public sealed class StatusCommandTests(Azurite azurite) : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Status_NothingListening_Exit3WithHint()
    {
        var url = $"http://127.0.0.1:{FreePorts.Next()}";

        var human = await _cli.RunAsync("status", "--url", url);
        _cli.Variables["APP_URL"] = url;
        var json = await _cli.RunAsync("status", "--json");

        Assert.Equal(ExitCodes.Unavailable, human.ExitCode);
        Assert.Contains("local/up", human.Error);
        Assert.Equal(ExitCodes.Unavailable, json.ExitCode);
        Assert.Equal("error", json.Json["status"]!.GetValue<string>());
        Assert.Contains(url, json.Json["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Status_RealApp_PrintsEveryCheckAndExitMatchesHealth()
    {
        var port = FreePorts.Next();
        await using var app = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            builder.UseSetting("LOCAL_TRIGGERS", "off");
            builder.UseSetting("SANDBOX_PLATFORM_NAME", "status-tests-" + Guid.NewGuid().ToString("N")[..8]);
        });
        app.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));
        app.StartServer();
        _cli.Variables["APP_PORT"] = port.ToString();

        var json = await _cli.RunAsync("status", "--json");
        var human = await _cli.RunAsync("status");

        Assert.True(json.ExitCode != ExitCodes.Unavailable, json.ToString());
        var healthy = json.Json["status"]!.GetValue<string>() == "healthy";
        Assert.Equal(healthy ? ExitCodes.Ok : ExitCodes.Failed, json.ExitCode);
        Assert.Equal(json.ExitCode, human.ExitCode);
        Assert.Equal("healthy", json.Json["checks"]!["storage"]!["status"]!.GetValue<string>());
        foreach (var check in new[] { "storage", "queue", "sandbox" })
        {
            Assert.Contains(human.Out.Split('\n'), line => line.TrimStart().StartsWith(check + " ", StringComparison.Ordinal));
        }
        Assert.Contains($"127.0.0.1:{port}", human.Out);
    }
}
