using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Packages;
using Serverless.Platform.Schedules;
using Serverless.Platform.WorkQueue;
using Serverless.LocalHost;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.LocalHost;

/// <summary>
/// The local host's queue, blob and timer triggers (the WebJobs SDK) on a real Azurite: delivery, retries, the
/// poison queue after five tries, large bodies, blob receipts, the timer's singleton lock. In the Docker collection
/// because every host with triggers on watches the same queue and container: they must take turns.
/// </summary>
[Collection("Docker")]
public sealed class LocalTriggerTests(Azurite azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Work of its own kind, so only this test's items reach it.</summary>
    private sealed class ScriptedHandler(Func<WorkItem, Delivery, Task> behaviour) : IWorkItemHandler
    {
        public string Kind { get; } = "trigger-test-" + Guid.NewGuid().ToString("N")[..8];

        public ConcurrentQueue<(WorkItem Item, Delivery Delivery)> Calls { get; } = new();

        public ConcurrentQueue<string> DeadLettered { get; } = new();

        public async Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
        {
            Calls.Enqueue((item, delivery));
            await behaviour(item, delivery);
        }

        public Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken)
        {
            DeadLettered.Enqueue(reason);
            return Task.CompletedTask;
        }
    }

    /// <summary>Log lines of the WebJobs SDK's function categories, to see which host ran what.</summary>
    private sealed class FunctionLog : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, FunctionLog log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => category.StartsWith("Function.", StringComparison.Ordinal);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    log.Lines.Enqueue($"{category}: {formatter(state, exception)}");
                }
            }
        }
    }

    private WebApplicationFactory<Program> StartHost(ScriptedHandler? handler = null, string? hostId = null, FunctionLog? log = null)
    {
        var app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            if (hostId is not null)
            {
                b.UseSetting(LocalHostRegistration.HostIdSetting, hostId);
            }
            b.ConfigureTestServices(services =>
            {
                if (handler is not null)
                {
                    services.AddSingleton<IWorkItemHandler>(handler);
                }
                if (log is not null)
                {
                    services.AddSingleton<ILoggerProvider>(log);
                }
            });
        });
        _ = app.Services; // starts the host and its triggers
        return app;
    }

    private StorageWorkQueue Queue() => new(azurite.Queues, new WorkItemBodies(azurite.Blobs));

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"timed out waiting until {what}");
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;")]
    [InlineData("AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:5/devstoreaccount1;QueueEndpoint=http://127.0.0.1:6/devstoreaccount1", "AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:5/devstoreaccount1/;QueueEndpoint=http://127.0.0.1:6/devstoreaccount1;")]
    [InlineData("AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:5/a/", "BlobEndpoint=http://127.0.0.1:5/a/;")]
    public void BlobTriggerConnection_PathStyleBlobEndpoint_EndsInASlashSoTheSdkScansWithReceipts(string configured, string expectedPart)
    {
        var connection = LocalHostRegistration.ScannedLikeAzureStorage(configured)!;

        Assert.Contains(expectedPart, connection);
        // What the SDK tests to pick its emulator strategy: the path equals the account name.
        var blobs = new BlobServiceClient(connection);
        Assert.NotEqual(blobs.AccountName, blobs.Uri.PathAndQuery.TrimStart('/'));
    }

    [Fact]
    public void BlobTriggerConnection_IdentityBasedOrEmpty_Unchanged()
    {
        Assert.Null(LocalHostRegistration.ScannedLikeAzureStorage(null));
        Assert.Equal("", LocalHostRegistration.ScannedLikeAzureStorage(""));
    }

    [Fact]
    public async Task Dispatch_EnqueuedItem_RunOnceWithItsDeliveryAndDeleted()
    {
        var handler = new ScriptedHandler((_, _) => Task.CompletedTask);
        await using var app = StartHost(handler);
        var item = WorkItem.Create(handler.Kind, new JsonObject { ["n"] = 1 });

        await Queue().EnqueueAsync(item, Ct);
        await Eventually(() => Task.FromResult(!handler.Calls.IsEmpty), "the handler ran");
        await Task.Delay(2000, Ct);

        var call = Assert.Single(handler.Calls);
        Assert.Equal(item.Id, call.Item.Id);
        Assert.Equal(1, call.Delivery.Count);
        Assert.False(string.IsNullOrEmpty(call.Delivery.MessageId));
    }

    [Fact]
    public async Task Dispatch_HandlerAlwaysFails_FiveTriesThenThePoisonQueue()
    {
        var handler = new ScriptedHandler((_, _) => throw new InvalidOperationException("plugin exploded"));
        await using var app = StartHost(handler);
        var item = WorkItem.Create(handler.Kind, []);
        var poison = azurite.Queues.GetQueueClient(WorkQueueRegistration.QueueName + "-poison");

        await Queue().EnqueueAsync(item, Ct);
        await Eventually(async () => (await PoisonedAsync(poison)).Contains(item.Id), "the item reached the poison queue");

        Assert.Equal([1, 2, 3, 4, 5], handler.Calls.Select(c => c.Delivery.Count));
        Assert.Equal("dead-lettered after 5 deliveries: plugin exploded", Assert.Single(handler.DeadLettered));
    }

    [Fact]
    public async Task Dispatch_TransientFailure_RetriedUntilItSucceeds()
    {
        var handler = new ScriptedHandler((_, delivery) => delivery.Count < 3 ? throw new TimeoutException("flaky") : Task.CompletedTask);
        await using var app = StartHost(handler);
        var item = WorkItem.Create(handler.Kind, []);
        var poison = azurite.Queues.GetQueueClient(WorkQueueRegistration.QueueName + "-poison");

        await Queue().EnqueueAsync(item, Ct);
        await Eventually(() => Task.FromResult(handler.Calls.Count == 3), "the third try ran");
        await Task.Delay(3000, Ct);

        Assert.Equal([1, 2, 3], handler.Calls.Select(c => c.Delivery.Count));
        Assert.DoesNotContain(item.Id, await PoisonedAsync(poison));
    }

    [Fact]
    public async Task Dispatch_BodyOverQueueLimit_TravelsAsBlobAndIsForgottenAfterwards()
    {
        var handler = new ScriptedHandler((_, _) => Task.CompletedTask);
        await using var app = StartHost(handler);
        var big = new string('x', 200_000);
        var item = WorkItem.Create(handler.Kind, new JsonObject { ["blob"] = big });
        var body = azurite.Blobs.GetBlobContainerClient(WorkItemBodies.ContainerName).GetBlobClient($"{item.Id}.json");

        await Queue().EnqueueAsync(item, Ct);
        await Eventually(() => Task.FromResult(!handler.Calls.IsEmpty), "the handler ran");

        Assert.Equal(big, Assert.Single(handler.Calls).Item.Body!["blob"]!.GetValue<string>());
        await Eventually(async () => !await body.ExistsAsync(Ct), "the body blob was deleted");
    }

    [Fact]
    public async Task Packages_Upload_JudgedOncePerVersionByTheBlobTrigger()
    {
        var log = new FunctionLog();
        await using var app = StartHost(log: log);
        var id = "t" + Guid.NewGuid().ToString("N")[..12];
        var blobs = azurite.Blobs;
        var upload = blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip");
        var report = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(UploadProcessor.ReportBlobName(new UploadRef("acme", id)));
        await blobs.GetBlobContainerClient(UploadRef.Container).CreateIfNotExistsAsync(cancellationToken: Ct);

        var first = await upload.UploadAsync(BinaryData.FromBytes(Declarative(id, "1.0.0")), overwrite: true, cancellationToken: Ct);
        var judged = await ReportForAsync(report, UploadProcessor.ReportETag(first.Value.ETag));
        // Long enough for several scans of the container: a judged version is not judged again.
        await Task.Delay(8000, Ct);
        var after = await ReadReportAsync(report);
        var second = await upload.UploadAsync(BinaryData.FromBytes(Declarative(id, "1.0.1")), overwrite: true, cancellationToken: Ct);
        var rejudged = await ReportForAsync(report, UploadProcessor.ReportETag(second.Value.ETag));

        Assert.Equal("published", judged["status"]!.GetValue<string>());
        Assert.Equal(judged["processedAt"]!.GetValue<string>(), after!["processedAt"]!.GetValue<string>());
        Assert.Equal("1.0.1", rejudged["plugin"]!["version"]!.GetValue<string>());
        // The SDK's own record: the function ran for this blob twice, once per version.
        Assert.Equal(2, log.Lines.Count(l => l.StartsWith("Function.packages", StringComparison.Ordinal) && l.Contains("Executing", StringComparison.Ordinal) && l.Contains($"acme/{id}.zip", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Schedules_TwoHostsOfOneStack_OnlyTheLockHolderTicks()
    {
        var hostId = "trigger-tests-" + Guid.NewGuid().ToString("N")[..8];
        var (firstLog, secondLog) = (new FunctionLog(), new FunctionLog());
        await using var first = StartHost(hostId: hostId, log: firstLog);
        await using var second = StartHost(hostId: hostId, log: secondLog);

        static int Ticks(FunctionLog log) => log.Lines.Count(l => l.StartsWith("Function.schedules", StringComparison.Ordinal) && l.Contains("Executed", StringComparison.Ordinal));
        await Eventually(() => Task.FromResult(Ticks(firstLog) + Ticks(secondLog) >= 3), "three ticks");

        Assert.True(Ticks(firstLog) == 0 || Ticks(secondLog) == 0, $"both hosts ticked: {Ticks(firstLog)} and {Ticks(secondLog)}");
    }

    private static byte[] Declarative(string id, string version) =>
        PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = PluginZip.Manifest(id, version) });

    private static async Task<JsonObject> ReportForAsync(BlobClient report, string etag)
    {
        JsonObject? document = null;
        await Eventually(async () => (document = await ReadReportAsync(report))?["upload"]?["etag"]?.GetValue<string>() == etag, $"a report for {etag}");
        return document!;
    }

    private static async Task<JsonObject?> ReadReportAsync(BlobClient report)
    {
        try
        {
            return JsonNode.Parse((await report.DownloadContentAsync(Ct)).Value.Content.ToMemory().Span)!.AsObject();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The ids of the work items in the poison queue (other tests' too: a peek sees only 32, so this receives them all, hidden for a moment).</summary>
    private static async Task<List<string>> PoisonedAsync(QueueClient poison)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: Ct);
        var ids = new List<string>();
        for (var batch = 0; batch < 50; batch++)
        {
            var messages = await poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(5), Ct);
            foreach (var message in messages.Value)
            {
                try
                {
                    ids.Add(WorkItem.Parse(StorageWorkQueue.Decode(message.MessageText)).Id);
                }
                catch (WorkItemFormatException)
                {
                }
            }
            if (messages.Value.Length < 32)
            {
                break;
            }
        }
        return ids;
    }
}
