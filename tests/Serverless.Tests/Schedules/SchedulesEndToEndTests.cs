using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Packages;
using Serverless.Functions.Schedules;
using Serverless.Platform.Events;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;
using Serverless.Tests.Events;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Invocations;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Schedules;

/// <summary>
/// The whole app: the SDK's reference example plugin published and installed through the admin API, the
/// <c>schedules</c> function driven at fake-clock instants, the queue trigger running the ticks in Docker.
/// </summary>
[Collection("Docker")]
public sealed class SchedulesEndToEndTests(Azurite azurite, DockerFixture docker) : IAsyncLifetime
{
    private const string AdminKey = "schedules-e2e-key";
    private const string EventsSecret = "schedules-e2e-events-secret-0123456789";
    private readonly FakeTimeProvider _clock = new(ScheduleRig.Start);
    private readonly string _table = Azurite.UniqueName("schedules");
    private WebApplicationFactory<Program> _app = null!;
    private HttpClient _http = null!;
    private string _cacheDir = null!;

    public async ValueTask InitializeAsync()
    {
        docker.Require();
        _cacheDir = Directory.CreateTempSubdirectory("schedules-e2e-").FullName;
        await azurite.Tables.GetTableClient(_table).CreateIfNotExistsAsync();
        _app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            b.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            b.UseSetting("ADMIN_API_KEY", AdminKey);
            b.UseSetting(EventsOptions.SecretSetting, EventsSecret);
            // The test ticks the schedules itself at the times it sets and judges uploads in-process; only the queue trigger runs.
            b.UseSetting(TestApp.Disabled(SchedulesFunction.FunctionName), "true");
            b.UseSetting(TestApp.Disabled(PackagesFunction.FunctionName), "true");
            b.ConfigureTestServices(services =>
            {
                services.AddSchedules();
                services.AddSingleton<TimeProvider>(_clock);
                // A table of its own: the app's ticks must not fire other tests' schedules, nor theirs ours.
                services.AddSingleton(sp => new ScheduleStore(sp.GetRequiredService<TableServiceClient>(), _table));
            });
        });
        _http = _app.CreateClient();
        _http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await azurite.Tables.GetTableClient(_table).DeleteAsync();
        Directory.Delete(_cacheDir, recursive: true);
    }

    [Fact]
    public async Task SeedPlugin_InstalledThenTimerTicks_HeartbeatLinesAppearOncePerInterval()
    {
        var id = "e2e_" + Guid.NewGuid().ToString("N")[..10];
        var guild = ScheduleRig.NewGuild();
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(UploadRef.Container).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(PluginInvokerTests.SeedPluginZip(id)), overwrite: true);
        // Judged in-process, as the packages function does for the blob trigger.
        var published = await _app.Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), TestContext.Current.CancellationToken);
        Assert.True(published["status"]!.GetValue<string>() == "published", published.ToJsonString());
        var install = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{id}", new JsonObject { ["version"] = "^1.0" });
        Assert.Equal(HttpStatusCode.Created, install.StatusCode);

        var early = await TickAsync(ScheduleRig.Start.AddSeconds(290));
        await TickAsync(ScheduleRig.Start.AddSeconds(300));
        await WaitForLogAsync(id, guild, "heartbeat #1");
        await TickAsync(ScheduleRig.Start.AddSeconds(600));
        await WaitForLogAsync(id, guild, "heartbeat #2");

        Assert.Equal(0, early["fired"]!.GetValue<int>());
        Assert.Equal(["heartbeat #1", "heartbeat #2"], (await LogsAsync(id, guild)).Where(m => m.StartsWith("heartbeat", StringComparison.Ordinal)));
    }

    /// <summary>
    /// A plugin whose manifest declares no command, cron or event (no "entrypoint" either): its plugin.py alone
    /// makes it code, so publishing boots it and what the code registers runs after install.
    /// </summary>
    [Fact]
    public async Task CodeOnlyPlugin_ScheduleCronAndEventWithoutManifestDeclarations_AllThreeRunAfterInstall()
    {
        var id = "e2e_" + Guid.NewGuid().ToString("N")[..10];
        var guild = ScheduleRig.NewGuild();
        var zip = PluginZip.Build(new Dictionary<string, object>
        {
            ["manifest.json"] = PluginZip.Manifest(id, "1.0.0", new JsonObject { ["name"] = "Timed" }),
            ["plugin.py"] = """
                @plugin.schedule(30)
                def half_minute(ctx):
                    ctx.log("schedule ran")

                @plugin.cron("* * * * *")
                def every_minute(ctx):
                    ctx.log("cron ran")

                @plugin.on_event("member_join")
                def joined(ctx, event):
                    ctx.log("member_join " + event["user_id"])
                """,
        });
        var published = await PublishAsync(id, zip);
        Assert.True(published["status"]!.GetValue<string>() == "published", published.ToJsonString());
        Assert.Empty(published["warnings"]!.AsArray());
        var install = await _http.PutAsJsonAsync($"/api/admin/guilds/{guild}/plugins/{id}", new JsonObject { ["version"] = "^1.0" });
        Assert.Equal(HttpStatusCode.Created, install.StatusCode);

        var halfMinute = await TickAsync(ScheduleRig.Start.AddSeconds(30));
        await WaitForLogAsync(id, guild, "schedule ran");
        var minute = await TickAsync(ScheduleRig.Start.AddMinutes(1));
        await WaitForLogAsync(id, guild, "cron ran");
        using var joined = EventsEndpointTests.Signed(EventsEndpointTests.Body(guild, "member_join", new JsonObject { ["user_id"] = "42", ["username"] = "ann", ["guild_id"] = guild }),
            EventsSecret, _clock.GetUtcNow().ToUnixTimeSeconds());
        var answer = JsonNode.Parse(await (await _http.SendAsync(joined)).Content.ReadAsStringAsync())!;
        await WaitForLogAsync(id, guild, "member_join 42");

        Assert.Equal(1, halfMinute["fired"]!.GetValue<int>());
        Assert.Equal(2, minute["fired"]!.GetValue<int>());
        Assert.True(answer["fanned_out"]!.GetValue<int>() == 1, answer.ToJsonString());
    }

    private async Task<JsonObject> PublishAsync(string id, byte[] zip)
    {
        var blobs = azurite.Blobs;
        await blobs.GetBlobContainerClient(UploadRef.Container).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
        return await _app.Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), TestContext.Current.CancellationToken);
    }

    /// <summary>One tick of the schedules function at <paramref name="at"/>, run in-process as its timer runs it.</summary>
    private async Task<JsonObject> TickAsync(DateTimeOffset at)
    {
        _clock.Set(at);
        return await ActivatorUtilities.CreateInstance<SchedulesFunction>(_app.Services).TickAsync(isPastDue: false, TestContext.Current.CancellationToken);
    }

    private async Task<List<string>> LogsAsync(string id, string guild)
    {
        var logs = JsonNode.Parse(await _http.GetStringAsync($"/api/admin/plugins/{id}/logs?guild={guild}"))!.AsArray();
        return logs.Select(l => l!["message"]!.GetValue<string>()).ToList();
    }

    private async Task WaitForLogAsync(string id, string guild, string message)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await LogsAsync(id, guild)).Contains(message))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no '{message}' in the logs: {string.Join(" | ", await LogsAsync(id, guild))}");
            await Task.Delay(200);
        }
    }
}
