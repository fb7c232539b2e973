using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Invocations;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Packages;

/// <summary>Publishing on a real Azurite: verdicts, ownership, immutability, dependencies, crash recovery.</summary>
[Collection("Docker")]
public sealed class UploadProcessorTests(Azurite azurite, DockerFixture docker) : IAsyncDisposable
{
    private sealed record Rig(BlobServiceClient Blobs, PluginCatalog Catalog, UploadProcessor Processor)
    {
        public async Task<JsonObject> UploadAndProcessAsync(string publisher, string name, byte[] zip)
        {
            var upload = new UploadRef(publisher, name);
            await Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient(upload.BlobName).UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
            return await Processor.ProcessAsync(upload, CancellationToken.None);
        }

        public async Task<JsonObject> ReportAsync(string publisher, string name) =>
            JsonNode.Parse((await Blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient($"{publisher}/{name}.json").DownloadContentAsync()).Value.Content.ToString())!.AsObject();
    }

    private async Task<Rig> RigAsync()
    {
        var rig = await InvocationRig.StartAsync(azurite, docker);
        _rigs.Add(rig);
        return new Rig(rig.Blobs, rig.Catalog, rig.Publisher);
    }

    private readonly List<InvocationRig> _rigs = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var rig in _rigs)
        {
            await rig.DisposeAsync();
        }
    }

    private static string NewId() => "p" + Guid.NewGuid().ToString("N")[..12];

    private static string[] Codes(JsonObject report) => report["errors"]!.AsArray().Select(e => e!["code"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Process_ValidPlugin_PublishesZipRecordAndReport()
    {
        var rig = await RigAsync();
        var id = NewId();
        var zip = PluginZip.Greet(id, "1.0.0");

        var result = await rig.UploadAndProcessAsync("acme", id, zip);

        Assert.Equal("published", result["status"]!.GetValue<string>());
        var report = await rig.ReportAsync("acme", id);
        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Equal(id, report["plugin"]!["id"]!.GetValue<string>());
        Assert.Equal("1.0.0", report["plugin"]!["version"]!.GetValue<string>());
        Assert.Empty(report["errors"]!.AsArray());
        var published = await rig.Catalog.PackageBlob(id, PluginVersion.Parse("1.0.0")).DownloadContentAsync();
        Assert.Equal(zip, published.Value.Content.ToArray());
        var record = await rig.Catalog.GetVersionAsync(id, PluginVersion.Parse("1.0.0"), CancellationToken.None);
        Assert.Equal("acme", record!.Publisher);
        Assert.Equal(report["upload"]!["sha256"]!.GetValue<string>(), record.Sha256);
    }

    [Fact]
    public async Task Process_InvalidZip_RejectedWithEveryErrorAndNothingPublished()
    {
        var rig = await RigAsync();
        var id = NewId();
        var manifest = PluginZip.Manifest(id, "not a version", new JsonObject { ["capabilities_required"] = new JsonArray("teleport") });
        var zip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["../evil.py"] = "x" });

        var report = await rig.UploadAndProcessAsync("acme", id, zip);

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        Assert.Contains(IssueCodes.PathTraversal, Codes(report));
        Assert.Empty(await rig.Catalog.GetVersionsAsync(id, CancellationToken.None));
        Assert.Null(await rig.Catalog.GetOwnerAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Process_SameZipTwice_SameVerdictAndOneRecord()
    {
        var rig = await RigAsync();
        var id = NewId();
        var zip = PluginZip.Greet(id, "1.0.0");

        var first = await rig.UploadAndProcessAsync("acme", id, zip);
        var second = await rig.UploadAndProcessAsync("acme", id, zip);

        Assert.Equal("published", first["status"]!.GetValue<string>());
        Assert.Equal("published", second["status"]!.GetValue<string>());
        Assert.Single(await rig.Catalog.GetVersionsAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Process_ChangedZipSameVersion_RejectedAsImmutable()
    {
        var rig = await RigAsync();
        var id = NewId();
        await rig.UploadAndProcessAsync("acme", id, PluginZip.Greet(id, "1.0.0"));

        var report = await rig.UploadAndProcessAsync("acme", id, PluginZip.Greet(id, "1.0.0", new Dictionary<string, object> { ["README.md"] = "changed" }));

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        Assert.Equal([IssueCodes.VersionExists], Codes(report));
        var record = Assert.Single(await rig.Catalog.GetVersionsAsync(id, CancellationToken.None));
        Assert.NotEqual(report["upload"]!["sha256"]!.GetValue<string>(), record.Sha256);
    }

    [Fact]
    public async Task Process_IdOwnedByAnotherPublisher_Rejected()
    {
        var rig = await RigAsync();
        var id = NewId();
        await rig.UploadAndProcessAsync("acme", id, PluginZip.Greet(id, "1.0.0"));

        var report = await rig.UploadAndProcessAsync("mallory", id, PluginZip.Greet(id, "2.0.0"));

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        Assert.Equal([IssueCodes.PluginOwnedByOther], Codes(report));
        Assert.Contains("acme", report["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Null(await rig.Catalog.GetVersionAsync(id, PluginVersion.Parse("2.0.0"), CancellationToken.None));
    }

    [Fact]
    public async Task Process_Dependencies_EveryFailureListedThenSatisfiedOncePublished()
    {
        var rig = await RigAsync();
        var library = NewId();
        var other = NewId();
        var app = NewId();
        var dependencies = new JsonObject { [library] = ">=2.0", [other] = "*", ["platform"] = ">=1.0.0" };
        var appZip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(app, "1.0.0", new JsonObject { ["dependencies"] = dependencies }) });
        await rig.UploadAndProcessAsync("acme", library, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(library, "1.5.0") }));

        var rejected = await rig.UploadAndProcessAsync("acme", app, appZip);

        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
        Assert.Equal([IssueCodes.DependencyMissing, IssueCodes.DependencyVersionMismatch], Codes(rejected).Order());

        await rig.UploadAndProcessAsync("acme", library, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(library, "2.1.0") }));
        await rig.UploadAndProcessAsync("acme", other, PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(other, "0.1.0") }));
        var published = await rig.UploadAndProcessAsync("acme", app, appZip);

        Assert.Equal("published", published["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Process_TwoVersionsConcurrently_BothPublished()
    {
        var rig = await RigAsync();
        var id = NewId();

        var results = await Task.WhenAll(
            rig.UploadAndProcessAsync("acme", id + "_a", PluginZip.Greet(id, "1.0.0")),
            rig.UploadAndProcessAsync("acme", id + "_b", PluginZip.Greet(id, "1.1.0")));

        Assert.All(results, r => Assert.Equal("published", r["status"]!.GetValue<string>()));
        Assert.Equal(["1.0.0", "1.1.0"], (await rig.Catalog.GetVersionsAsync(id, CancellationToken.None)).Select(v => v.Version.Text));
    }

    [Fact]
    public async Task Process_CrashAfterCopyBeforeRecord_ReprocessingCompletesTheVersion()
    {
        var rig = await RigAsync();
        var id = NewId();
        var zip = PluginZip.Greet(id, "1.0.0");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(zip));
        // What a crash between the copy and the record leaves: the zip published, no record, no report.
        await rig.Catalog.PackageBlob(id, PluginVersion.Parse("1.0.0")).UploadAsync(BinaryData.FromBytes(zip), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            Metadata = new Dictionary<string, string> { ["sha256"] = sha, ["publisher"] = "acme" },
        });

        var report = await rig.UploadAndProcessAsync("acme", id, zip);

        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Equal(sha, (await rig.Catalog.GetVersionAsync(id, PluginVersion.Parse("1.0.0"), CancellationToken.None))!.Sha256);
    }

    [Fact]
    public async Task LocalWatcher_UploadedZip_ReportAppearsWithinSeconds()
    {
        docker.Require();
        await using var app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
        });
        _ = app.Server;
        var blobs = azurite.Blobs;
        var id = NewId();
        await new StorageLayout(blobs, azurite.Queues, azurite.Tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);

        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(PluginZip.Greet(id, "3.0.0")), overwrite: true);

        var reportBlob = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient($"acme/{id}.json");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !await reportBlob.ExistsAsync())
        {
            await Task.Delay(200);
        }
        var report = JsonNode.Parse((await reportBlob.DownloadContentAsync()).Value.Content.ToString())!;
        Assert.Equal("published", report["status"]!.GetValue<string>());
        Assert.Equal("3.0.0", report["plugin"]!["version"]!.GetValue<string>());
    }

    /// <summary>Shaped like the manifest-and-hooks document's example: every field optional, the id from where the file lies.</summary>
    [Fact]
    public async Task Process_ManifestWithoutIdOrVersion_PublishedAsUploadNameAtZeroWithWarnings()
    {
        var rig = await RigAsync();
        var name = NewId();
        var manifest = JsonNode.Parse("""
            {
              "name": "Exporter",
              "description": "Exports things",
              "mcvm_version": "1.0.0",
              "hooks": { "export": { "executable": "${PLUGIN_DIR}/bin/export", "args": ["--json"] } },
              "subcommands": { "export": "Export data" },
              "dependencies": [],
              "protocol_version": 1,
              "raw_transfer": false
            }
            """)!;
        var zip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest, ["bin/export"] = "#!/bin/sh\necho '{}'\n" });

        var report = await rig.UploadAndProcessAsync("acme", name, zip);

        Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
        Assert.Equal((name, "0.0.0"), (report["plugin"]!["id"]!.GetValue<string>(), report["plugin"]!["version"]!.GetValue<string>()));
        var fallbacks = report["warnings"]!.AsArray().Where(w => w!["code"]!.GetValue<string>() == IssueCodes.FieldFallback).Select(w => w!["path"]!.GetValue<string>());
        Assert.Equal(["$.id", "$.version"], fallbacks.Order());
        var record = await rig.Catalog.GetVersionAsync(name, PluginVersion.Parse("0.0.0"), CancellationToken.None);
        Assert.Contains(record!.Warnings, w => w.Code == IssueCodes.FieldFallback && w.Path == "$.id");
        var cache = Directory.CreateTempSubdirectory("fallback-cache-").FullName;
        try
        {
            var files = new Serverless.Platform.Invocations.PluginFiles(rig.Catalog, new PackageValidator(),
                new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PLUGIN_CACHE_DIR"] = cache }).Build());
            var package = await files.GetAsync(name, PluginVersion.Parse("0.0.0"), CancellationToken.None);
            Assert.Equal((name, "Exporter"), (package.Manifest.Id, package.Manifest.Name));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task Process_ManifestWithoutIdAndUploadNameNotAnId_RejectedNamingTheName()
    {
        var rig = await RigAsync();
        var name = "My-Plugin-" + Guid.NewGuid().ToString("N")[..6];
        var zip = PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = new JsonObject { ["version"] = "1.0.0", ["hooks"] = new JsonObject { ["hi"] = new JsonObject { ["constant"] = "hi" } } } });

        var report = await rig.UploadAndProcessAsync("acme", name, zip);

        Assert.Equal("rejected", report["status"]!.GetValue<string>());
        var error = Assert.Single(report["errors"]!.AsArray())!;
        Assert.Equal(IssueCodes.InvalidId, error["code"]!.GetValue<string>());
        Assert.Contains($"'{name}' is not a plugin id", error["message"]!.GetValue<string>());
    }
}
