using System.Net;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Platform.Discord;
using Serverless.Platform.Hosting;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Hosting;

/// <summary>These tests set variables on the test process, so nothing else runs while they do.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "process environment";
}

/// <summary>
/// A developer's shell may export a real storage account, a bot token, an admin key or the stack name of the
/// stack they are running, and keep a local.settings.json with more. A test host must use its own settings
/// only: the ambient environment once pointed tests at real data and let a test's crash recovery remove the
/// containers of the developer's running stack.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed partial class TestHostIsolationTests(Azurite azurite, DockerFixture docker)
{
    private const string OwnAdminKey = "isolation-tests-admin-key";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TestApp_HostileEnvironmentAndLocalSettings_UsesOnlyItsOwnSettings()
    {
        docker.Require();
        var developersStack = "developer-" + Guid.NewGuid().ToString("N")[..8];
        // Left on the developer's stack by a host that ended: only a host of that stack would remove it.
        await using var developersContainer = await docker.DriverOwnedBy(await DockerFixture.EndedHostAsync(), developersStack)
            .StartWorkerAsync(EchoPlugin.Spec(install: "developer"), Ct);
        using var localSettings = new TempFile($$"""
            { "Values": { "DISCORD_PUBLIC_KEY": "{{new string('a', 64)}}", "ADMIN_API_KEY": "from-local-settings", "SANDBOX_PLATFORM_NAME": "{{developersStack}}" } }
            """);
        using var environment = new EnvironmentOverride(new()
        {
            ["SANDBOX_PLATFORM_NAME"] = developersStack,
            // The developer's own data (local/up's Azurite), standing in for a real account: loopback only.
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["DISCORD_BOT_TOKEN"] = "hostile-real-bot-token",
            ["ADMIN_API_KEY"] = "hostile-admin-key",
            [PlatformSettings.LocalSettingsPathKey] = localSettings.Path,
        });

        await using var app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.UseSetting("ADMIN_API_KEY", OwnAdminKey);
        });
        using var http = app.CreateClient();

        Assert.True(await docker.ExistsAsync(developersContainer.Id), "the test host's crash recovery removed the developer's container");
        Assert.Equal(TestApp.DefaultStack, app.Services.GetRequiredService<DockerSandboxOptions>().PlatformName);
        Assert.Equal(azurite.Blobs.Uri, app.Services.GetRequiredService<BlobServiceClient>().Uri);
        Assert.True(app.Services.GetRequiredService<DiscordOptions>().UsesRecorder, "the test host would call Discord with the developer's bot token");
        Assert.Null(app.Services.GetRequiredService<IConfiguration>()["DISCORD_PUBLIC_KEY"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetGuildsAsync(http, "hostile-admin-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetGuildsAsync(http, "from-local-settings")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetGuildsAsync(http, OwnAdminKey)).StatusCode);
    }

    [Fact]
    public void AddPlatformSettings_NoSwitch_CommandLineOverEnvironmentOverLocalSettings()
    {
        using var localSettings = new TempFile("""{ "Values": { "PROBE_A": "local", "PROBE_B": "local", "PROBE_C": "local" } }""");
        using var environment = new EnvironmentOverride(new()
        {
            ["PROBE_A"] = "environment",
            ["PROBE_B"] = "environment",
            [PlatformSettings.LocalSettingsPathKey] = localSettings.Path,
        });
        var configuration = new ConfigurationManager();

        configuration.AddPlatformSettings(Path.GetTempPath(), ["--PROBE_A=command-line"]);

        Assert.Equal("command-line", configuration["PROBE_A"]);
        Assert.Equal("environment", configuration["PROBE_B"]);
        Assert.Equal("local", configuration["PROBE_C"]);
    }

    [Fact]
    public void AddPlatformSettings_CommandLineOnly_DropsEnvironmentAndLocalSettings()
    {
        using var localSettings = new TempFile("""{ "Values": { "PROBE_C": "local" } }""");
        using var environment = new EnvironmentOverride(new()
        {
            ["PROBE_B"] = "environment",
            [PlatformSettings.LocalSettingsPathKey] = localSettings.Path,
        });
        var configuration = new ConfigurationManager();
        configuration.AddEnvironmentVariables();

        configuration.AddPlatformSettings(Path.GetTempPath(), [$"--{PlatformSettings.CommandLineOnlySwitch}=true", "--PROBE_A=command-line"]);

        Assert.Equal("command-line", configuration["PROBE_A"]);
        Assert.Null(configuration["PROBE_B"]);
        Assert.Null(configuration["PROBE_C"]);
    }

    /// <summary>
    /// The rule holds for tests not written yet: a host of the app is a <see cref="TestApp"/>, a partial host
    /// that hands its configuration to platform code comes from <see cref="TestApp.CreateSlimBuilder"/>.
    /// </summary>
    [Fact]
    public void TestSources_EveryAppHost_IsBuiltByTestApp()
    {
        var root = Path.Combine(RepoPaths.Root, "tests", "Serverless.Tests");
        var offenders = new List<string>();
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, path);
            if (relative.Split(Path.DirectorySeparatorChar) is ["bin" or "obj", ..] || relative == Path.Combine("Infrastructure", "TestApp.cs"))
            {
                continue;
            }
            var code = File.ReadAllText(path);
            if (OwnFactory().IsMatch(code) || (SlimBuilder().IsMatch(code) && code.Contains(".Configuration", StringComparison.Ordinal)))
            {
                offenders.Add(relative);
            }
        }

        Assert.True(offenders.Count == 0, "build these hosts with TestApp (or TestApp.CreateSlimBuilder), which keeps the machine's settings out: " + string.Join(", ", offenders));
    }

    [GeneratedRegex(@"(new|:)\s*WebApplicationFactory\s*<")]
    private static partial Regex OwnFactory();

    [GeneratedRegex(@"WebApplication\.Create(Slim|Empty)?Builder\s*\(")]
    private static partial Regex SlimBuilder();

    private static async Task<HttpResponseMessage> GetGuildsAsync(HttpClient http, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/guilds");
        request.Headers.Add("x-functions-key", key);
        return await http.SendAsync(request, Ct);
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }

    /// <summary>Sets variables on this process and puts back what was there.</summary>
    private sealed class EnvironmentOverride : IDisposable
    {
        private readonly Dictionary<string, string?> _saved;

        public EnvironmentOverride(Dictionary<string, string> values)
        {
            _saved = values.Keys.ToDictionary(name => name, Environment.GetEnvironmentVariable);
            foreach (var (name, value) in values)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, value) in _saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
