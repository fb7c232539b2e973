using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Cli;
using Serverless.Platform.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Cli;

/// <summary>
/// <c>upload</c> against a real Azurite, with the real app (its blob trigger and upload processor)
/// judging the uploads, exactly as under <c>local/up</c>.
/// </summary>
[Collection("Docker")]
public sealed class UploadCommandTests(Azurite azurite, DockerFixture docker) : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string NewId() => "p" + Guid.NewGuid().ToString("N")[..12];

    private WebApplicationFactory<Program> StartApp()
    {
        // Publishing boots SDK plugins in the sandbox; the app's worker containers carry the fixture's platform name.
        docker.Require();
        var app = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            builder.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
        });
        _ = app.Server;
        return app;
    }

    private async Task<string> ScaffoldAsync(string id)
    {
        var created = await _cli.RunAsync("new", id);
        Assert.True(created.ExitCode == ExitCodes.Ok, created.ToString());
        return _cli.PathOf(id);
    }

    [Fact]
    public async Task Upload_ValidPlugin_PublishedExit0AndReportOfThisUpload()
    {
        await using var app = StartApp();
        var id = NewId();
        var root = await ScaffoldAsync(id);

        var result = await _cli.RunAsync("upload", root, "--publisher", "acme", "--connection", azurite.ConnectionString, "--wait", "60", "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var report = result.Json;
        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Equal(id, report["plugin"]!["id"]!.GetValue<string>());
        Assert.Equal("0.1.0", report["plugin"]!["version"]!.GetValue<string>());
        var blob = azurite.Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip");
        var properties = (await blob.GetPropertiesAsync(cancellationToken: TestContext.Current.CancellationToken)).Value;
        Assert.True(UploadCommand.SameETag(properties.ETag.ToString(), report["upload"]!["etag"]!.GetValue<string>()));
        // What was uploaded is exactly what pack writes.
        var packed = await _cli.RunAsync("pack", root, "-o", "packed.zip");
        Assert.Equal(ExitCodes.Ok, packed.ExitCode);
        Assert.Equal(await File.ReadAllBytesAsync(_cli.PathOf("packed.zip"), TestContext.Current.CancellationToken), (await blob.DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToArray());
    }

    [Fact]
    public async Task Upload_InvalidPlugin_RejectedExit1WithEveryError()
    {
        await using var app = StartApp();
        var id = NewId();
        var root = await ScaffoldAsync(id);
        var manifest = Path.Combine(root, "manifest.json");
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(manifest, TestContext.Current.CancellationToken))
            .Replace("\"0.1.0\"", "\"one\"").Replace("interaction:respond", "teleport"), TestContext.Current.CancellationToken);

        var result = await _cli.RunAsync("upload", root, "--publisher", "acme", "--name", id, "--connection", azurite.ConnectionString);

        Assert.True(result.ExitCode == ExitCodes.Failed, result.ToString());
        Assert.StartsWith("rejected", result.Out);
        Assert.Contains(IssueCodes.InvalidVersion, result.Out);
        Assert.Contains("$.version", result.Out);
        Assert.Contains(IssueCodes.UnknownCapability, result.Out);
        Assert.Contains($"plugin-uploads/acme/{id}.zip", result.Error);
    }

    [Fact]
    public async Task Upload_SameVersionChanged_WaitsForNewReportNotOldOne()
    {
        await using var app = StartApp();
        var id = NewId();
        var root = await ScaffoldAsync(id);
        var first = await _cli.RunAsync("upload", root, "-p", "acme", "-c", azurite.ConnectionString, "--json");
        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        await File.AppendAllTextAsync(Path.Combine(root, "plugin.py"), "\n# changed\n", TestContext.Current.CancellationToken);

        // The old report ("published") is still there; only the one for this upload may count.
        var second = await _cli.RunAsync("upload", root, "-p", "acme", "-c", azurite.ConnectionString, "--json");

        Assert.True(second.ExitCode == ExitCodes.Failed, second.ToString());
        Assert.Equal("rejected", second.Json["status"]!.GetValue<string>());
        Assert.Contains(second.Json["errors"]!.AsArray(), error => error!["code"]!.GetValue<string>() == IssueCodes.VersionExists);
        Assert.NotEqual(first.Json["upload"]!["etag"]!.GetValue<string>(), second.Json["upload"]!["etag"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upload_NothingProcessesUploads_TimesOutExit3()
    {
        // An Azurite of its own: no app anywhere watches it, so no report can come.
        await using var lonely = new Azurite();
        await lonely.InitializeAsync();
        var id = NewId();
        var root = await ScaffoldAsync(id);
        // An old report for the same name must not be taken for this upload's.
        var reports = lonely.Blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer);
        await reports.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        await reports.GetBlobClient($"acme/{id}.json").UploadAsync(BinaryData.FromString("""{"status":"published","errors":[],"warnings":[],"upload":{"etag":"\"0x8DEADBEEF\""}}"""), overwrite: true, TestContext.Current.CancellationToken);

        var started = DateTime.UtcNow;
        var result = await _cli.RunAsync("upload", root, "--publisher", "acme", "--connection", lonely.ConnectionString, "--wait", "2");

        Assert.True(result.ExitCode == ExitCodes.Unavailable, result.ToString());
        Assert.Contains("is local/up running?", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        Assert.True(await lonely.Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").ExistsAsync(TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 180_000)]
    public async Task Upload_SandboxUnavailable_PendingReportThenJudgedOnceTheSandboxIsBack()
    {
        docker.Require();
        // A storage and a Docker endpoint of this test's own: the engine "is down" for this app only (its socket is
        // missing), and no other test's app judges the pending upload again behind its back.
        await using var storage = new Azurite();
        await storage.InitializeAsync();
        var socket = _cli.PathOf("engine/docker.sock");
        Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
        WebApplicationFactory<Program> App() => new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", storage.ConnectionString);
            builder.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            builder.UseSetting("DOCKER_HOST", "unix://" + socket);
        });
        var id = NewId();
        var root = await ScaffoldAsync(id);
        var blobs = storage.Blobs;
        var catalog = new PluginCatalog(storage.Tables, blobs);

        CliResult result;
        await using (var down = App())
        {
            _ = down.Server;
            // The blob trigger polls every 10 s, so the pending report may take that long to appear.
            result = await _cli.RunAsync("upload", root, "--publisher", "acme", "--connection", storage.ConnectionString, "--wait", "25");
            // Pending publishes nothing.
            Assert.Empty(await catalog.GetVersionsAsync(id, TestContext.Current.CancellationToken));
        }

        Assert.True(result.ExitCode == ExitCodes.Unavailable, result.ToString());
        Assert.StartsWith($"pending  {id} 0.1.0", result.Out);
        Assert.Contains($"cannot reach the Docker engine at unix://{socket}", result.Out);
        Assert.Contains("judges this upload again when the sandbox is back", result.Out);
        Assert.Contains("the verdict is pending: the platform's sandbox is unavailable", result.Error);
        Assert.Contains("the verdict on this upload is still pending after 25 s", result.Error);
        Assert.Contains($"plugin-reports/acme/{id}.json", result.Error);
        Assert.DoesNotContain("local/up running", result.Error);

        // The engine is back (its socket appears) and the app restarts: the pending upload is judged without a new upload.
        File.CreateSymbolicLink(socket, Infrastructure.Docker.SocketPath);
        await using var up = App();
        _ = up.Server;
        var reportBlob = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient($"acme/{id}.json");
        JsonObject report;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            report = JsonNode.Parse((await reportBlob.DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToString())!.AsObject();
        }
        while (report["status"]!.GetValue<string>() == "pending" && DateTime.UtcNow < deadline);

        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Null(report["reason"]);
        Assert.Single(await catalog.GetVersionsAsync(id, TestContext.Current.CancellationToken));
        Assert.Empty(await new PendingUploads(storage.Tables).DueAsync(DateTimeOffset.UtcNow.AddDays(1), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Upload_StorageUnreachable_Exit3SaysToStartLocalUp()
    {
        var root = await ScaffoldAsync(NewId());
        var port = FreePorts.Next();
        var connection = $"DefaultEndpointsProtocol=http;AccountName={Platform.Hosting.StorageConnection.DevelopmentAccountName};AccountKey={Platform.Hosting.StorageConnection.DevelopmentAccountKey};BlobEndpoint=http://127.0.0.1:{port}/{Platform.Hosting.StorageConnection.DevelopmentAccountName};";

        var result = await _cli.RunAsync("upload", root, "-p", "acme", "-c", connection, "--json");

        Assert.True(result.ExitCode == ExitCodes.Unavailable, result.ToString());
        Assert.Equal("error", result.Json["status"]!.GetValue<string>());
        Assert.Contains("local/up", result.Json["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upload_ConnectionFromEnvironmentNoWait_UploadsWithProgress()
    {
        var id = NewId();
        var root = await ScaffoldAsync(id);
        var noise = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(noise);
        await File.WriteAllBytesAsync(Path.Combine(root, "noise.bin"), noise, TestContext.Current.CancellationToken);
        _cli.Variables["AzureWebJobsStorage"] = azurite.ConnectionString;

        var result = await _cli.RunAsync("upload", root, "--publisher", "acme", "--wait", "0", "--progress");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Contains("uploading", result.Error);
        Assert.Contains("(100%)", result.Error);
        var blob = azurite.Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip");
        Assert.True((await blob.GetPropertiesAsync(cancellationToken: TestContext.Current.CancellationToken)).Value.ContentLength > noise.Length);
    }

    [Theory]
    [InlineData("-bad")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task Upload_BadPublisher_UsageError(string publisher)
    {
        var root = await ScaffoldAsync(NewId());

        var result = await _cli.RunAsync("upload", root, "--publisher", publisher, "-c", "UseDevelopmentStorage=true");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("publisher", result.Error);
    }

    private async Task<(WebApplicationFactory<Program> App, string Key, string RivalKey)> StartAppWithPublisherKeysAsync(string publisher, string rival)
    {
        docker.Require();
        const string adminKey = "upload-tests-admin-key";
        var port = FreePorts.Next();
        var app = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            builder.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            builder.UseSetting("ADMIN_API_KEY", adminKey);
        });
        app.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));
        app.StartServer();
        _cli.Variables["APP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _cli.Variables["ADMIN_API_KEY"] = adminKey;
        async Task<string> MintAsync(string who)
        {
            var minted = await _cli.RunAsync("publisher-key", who, "--json");
            Assert.True(minted.ExitCode == ExitCodes.Ok, minted.ToString());
            return minted.Json["key"]!.GetValue<string>();
        }
        return (app, await MintAsync(publisher), await MintAsync(rival));
    }

    [Fact]
    public async Task Upload_PublisherKey_PublishedThroughTheGrantWithNoStorageCredentials()
    {
        var publisher = "pub" + Guid.NewGuid().ToString("N")[..8];
        var (app, key, _) = await StartAppWithPublisherKeysAsync(publisher, "rival" + Guid.NewGuid().ToString("N")[..8]);
        await using var _ = app;
        var id = NewId();
        var root = await ScaffoldAsync(id);
        _cli.Variables[UploadCommand.PublisherKeyVariable] = key;

        var result = await _cli.RunAsync("upload", root, "--publisher", publisher, "--wait", "60", "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal("published", result.Json["status"]!.GetValue<string>());
        Assert.Equal(id, result.Json["plugin"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upload_AnotherPublishersKey_RefusedExit2AndNothingUploaded()
    {
        var publisher = "pub" + Guid.NewGuid().ToString("N")[..8];
        var rival = "rival" + Guid.NewGuid().ToString("N")[..8];
        var (app, _, rivalKey) = await StartAppWithPublisherKeysAsync(publisher, rival);
        await using var _ = app;
        var id = NewId();
        var root = await ScaffoldAsync(id);

        var result = await _cli.RunAsync("upload", root, "--publisher", publisher, "--key", rivalKey, "--wait", "5");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("refused the publisher key", result.Error);
        var blob = azurite.Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"{publisher}/{id}.zip");
        Assert.False(await blob.ExistsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PublisherKey_ListThenRevoke_RevokedKeyNoLongerUploads()
    {
        var publisher = "pub" + Guid.NewGuid().ToString("N")[..8];
        var (app, key, _) = await StartAppWithPublisherKeysAsync(publisher, "rival" + Guid.NewGuid().ToString("N")[..8]);
        await using var _ = app;
        var keyId = key.Split('.')[1];

        var listed = await _cli.RunAsync("publisher-key", publisher, "--list");
        var revoked = await _cli.RunAsync("publisher-key", publisher, "--revoke", keyId);
        var again = await _cli.RunAsync("publisher-key", publisher, "--revoke", keyId);
        var root = await ScaffoldAsync(NewId());
        var upload = await _cli.RunAsync("upload", root, "--publisher", publisher, "--key", key, "--wait", "5");

        Assert.True(listed.ExitCode == ExitCodes.Ok, listed.ToString());
        Assert.Contains(keyId, listed.Out);
        Assert.DoesNotContain(key.Split('.')[2], listed.Out);
        Assert.True(revoked.ExitCode == ExitCodes.Ok, revoked.ToString());
        Assert.Equal(ExitCodes.Failed, again.ExitCode);
        Assert.Equal(ExitCodes.Usage, upload.ExitCode);
    }
}
