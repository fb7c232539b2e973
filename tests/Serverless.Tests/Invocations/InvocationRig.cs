using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Hosting;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Invocations;

/// <summary>Records the calls that leave the install (Discord, other plugins), as the fake end of <see cref="IPluginCallRouter"/>.</summary>
public sealed class RecordingRouter : IPluginCallRouter
{
    public ConcurrentQueue<(string Method, JsonObject Params)> Calls { get; } = new();

    public Task<RoutedCall?> TryHandleAsync(PluginInvocation invocation, string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        Calls.Enqueue((method, (JsonObject)parameters.DeepClone()));
        return Task.FromResult<RoutedCall?>(new RoutedCall(null));
    }
}

/// <summary>The real invocation path on real Azurite and Docker: publish a zip, then invoke it through the pool.</summary>
public sealed class InvocationRig : IAsyncDisposable
{
    private InvocationRig(BlobServiceClient blobs, TableServiceClient tables, PluginCatalog catalog, UploadProcessor publisher, SandboxPool pool, PluginInvoker invoker, PluginLogs logs, KvStore kv, string cacheDir)
    {
        Blobs = blobs;
        Tables = tables;
        Catalog = catalog;
        Publisher = publisher;
        Pool = pool;
        Invoker = invoker;
        Logs = logs;
        Kv = kv;
        _cacheDir = cacheDir;
    }

    private readonly string _cacheDir;

    public BlobServiceClient Blobs { get; }
    public TableServiceClient Tables { get; }
    public PluginCatalog Catalog { get; }
    public UploadProcessor Publisher { get; }
    public SandboxPool Pool { get; }
    public PluginInvoker Invoker { get; }
    public PluginLogs Logs { get; }
    public KvStore Kv { get; }

    public static async Task<InvocationRig> StartAsync(Azurite azurite, DockerFixture docker, TimeSpan? wallTime = null, SandboxPoolMode poolMode = SandboxPoolMode.PerInstall)
    {
        docker.Require();
        var blobs = azurite.Blobs;
        var tables = azurite.Tables;
        await new StorageLayout(blobs, azurite.Queues, tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);
        var catalog = new PluginCatalog(tables, blobs);
        var validator = new PackageValidator();
        var cacheDir = Directory.CreateTempSubdirectory("plugin-cache-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PLUGIN_CACHE_DIR"] = cacheDir }).Build();
        var options = docker.Options with { Limits = SandboxLimits.Default with { WallTime = wallTime ?? TimeSpan.FromSeconds(10) } };
        var driver = new DockerSandboxDriver(docker.Client, options, NullLogger<DockerSandboxDriver>.Instance);
        var pool = new SandboxPool(driver, new SandboxPoolOptions { Mode = poolMode }, NullLogger<SandboxPool>.Instance);
        var logs = new PluginLogs(tables, TimeProvider.System);
        var kv = new KvStore(tables, new KvQuotas());
        var invoker = new PluginInvoker(pool, driver, new PluginFiles(catalog, validator, configuration), new HostApi(kv, logs), logs, NullLogger<PluginInvoker>.Instance);
        var publisher = new UploadProcessor(blobs, catalog, validator, new BootCheck(validator, driver, NullLogger<BootCheck>.Instance), new PendingUploads(tables), TimeProvider.System, NullLogger<UploadProcessor>.Instance);
        return new InvocationRig(blobs, tables, catalog, publisher, pool, invoker, logs, kv, cacheDir);
    }

    /// <summary>Publishes a zip under a fresh plugin id and returns that id.</summary>
    public async Task<JsonObject> PublishAsync(string publisher, string name, byte[] zip)
    {
        var upload = new UploadRef(publisher, name);
        await Blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient(upload.BlobName).UploadAsync(BinaryData.FromBytes(zip), overwrite: true);
        return await Publisher.ProcessAsync(upload, CancellationToken.None);
    }

    public static InstallContext Install(string pluginId, string version = "1.0.0", params string[] capabilities) =>
        new("guild-" + Guid.NewGuid().ToString("N")[..8], pluginId, "inst-" + Guid.NewGuid().ToString("N")[..8], PluginVersion.Parse(version),
            new HashSet<string>(capabilities.Length == 0 ? ["interaction:respond"] : capabilities));

    public async Task<IReadOnlyList<PluginLogEntry>> LogsAsync(InstallContext install) =>
        await Logs.ReadAsync(install.PluginId, install.GuildId, 200, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        try
        {
            Directory.Delete(_cacheDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
