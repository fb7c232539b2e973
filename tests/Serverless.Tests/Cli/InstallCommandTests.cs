using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Cli;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Tests.Events;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Cli;

/// <summary><c>local/plugin install</c> against the real app on a loopback port, plugins published through the boot check in Docker.</summary>
[Collection("Docker")]
public sealed class InstallCommandTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const string AdminKey = "cli-install-admin-key";

    private readonly CliRun _cli = new();
    private WebApplicationFactory<Program> _app = null!;
    private string _cacheDir = null!;

    public ValueTask InitializeAsync()
    {
        docker.Require();
        _cacheDir = Directory.CreateTempSubdirectory("cli-install-cache-").FullName;
        var port = FreePorts.Next();
        _app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            b.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            b.UseSetting("ADMIN_API_KEY", AdminKey);
        });
        _app.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));
        _app.StartServer();
        _cli.Variables["APP_PORT"] = port.ToString();
        _cli.Variables["ADMIN_API_KEY"] = AdminKey;
        _cli.Variables["LOCAL_STATE_DIR"] = _cli.PathOf("state");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _cli.Dispose();
        Directory.Delete(_cacheDir, recursive: true);
    }

    [Fact]
    public async Task Install_MessageHandlerWithoutReadContent_ConsentShowsContentWarning()
    {
        var id = "cli_" + Guid.NewGuid().ToString("N")[..10];
        var zip = PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = PluginZip.Manifest(id, "1.0.0", new JsonObject { ["name"] = "Echo", ["capabilities_required"] = new JsonArray("messages:send") }),
            ["plugin.py"] = """
                @plugin.on_event("message_create")
                def on_message(ctx, event):
                    ctx.log("said " + event["content"])
                """,
        });
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(UploadRef.Container).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
        var report = await _app.Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), TestContext.Current.CancellationToken);
        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());

        var result = await _cli.RunAsync("install", id, "--guild", EventPlugins.NewGuild(), "--yes");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var lines = result.Out.Split('\n');
        var capabilities = Array.FindIndex(lines, line => line.Contains("requests capabilities:"));
        var warning = Array.FindIndex(lines, line => line.Contains("warning") && line.Contains("message_create handler will see content: ''"));
        Assert.True(capabilities >= 0 && warning > capabilities, result.ToString());
        Assert.Contains("messages:read_content", lines[warning]);
        using var http = _app.CreateClient();
        http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
        var version = Assert.Single(JsonNode.Parse(await http.GetStringAsync($"/api/admin/plugins/{id}/versions", TestContext.Current.CancellationToken))!.AsArray())!;
        var stored = Assert.Single(version["warnings"]!.AsArray())!;
        Assert.Equal((IssueCodes.ContentWithoutCapability, "plugin.py"), (stored["code"]!.GetValue<string>(), stored["path"]!.GetValue<string>()));
    }
}
