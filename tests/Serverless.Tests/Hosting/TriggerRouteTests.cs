using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Hosting;
using Serverless.Platform.WorkQueue;
using Serverless.Platform.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Hosting;

/// <summary>
/// A trigger payload is trusted work: a forged <c>dispatch</c> item runs any plugin's handler as a made-up user.
/// So the queue, blob and timer functions have no HTTP route, locally or in Azure: only their triggers run them,
/// and the local host maps HTTP functions only.
/// </summary>
public sealed class TriggerRouteTests(Azurite azurite)
{
    /// <summary>A well-formed work item of a kind the recording handler runs: what an attacker would forge.</summary>
    private static string ForgedDispatch(string id) =>
        $$$"""{"Data":{"message":"{\"schema\":1,\"id\":\"{{{id}}}\",\"kind\":\"contract-test\",\"createdAt\":\"2026-11-21T10:00:00+00:00\",\"body\":{\"user\":\"made-up\"}}"},"Metadata":{"DequeueCount":1}}""";

    private static string ForgedUpload(string name) =>
        $$$"""{"Data":{"upload":null},"Metadata":{"publisher":"acme","name":"{{{name}}}"}}""";

    private const string ForgedTick =
        """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-11-21T10:00:00+00:00","Next":"2026-11-21T10:00:10+00:00"},"IsPastDue":false}},"Metadata":{}}""";

    [Theory]
    [InlineData("/dispatch")]
    [InlineData("/Dispatch")]
    [InlineData("/DISPATCH")]
    [InlineData("//dispatch")]
    [InlineData("/dispatch/")]
    [InlineData("/api/dispatch")]
    [InlineData("/api/Dispatch/")]
    public async Task Dispatch_LocalStackAppPort_Answers404AndRunsNothing(string path)
    {
        var handler = new RecordingHandler();
        await using var app = StartLocal(services => services.AddSingleton<IWorkItemHandler>(handler), out var origin);
        using var http = new HttpClient();

        using var response = await http.PostAsync(origin + path, Json(ForgedDispatch("forged-" + Guid.NewGuid().ToString("N"))), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(handler.Calls);
    }

    [Theory]
    [InlineData("/packages")]
    [InlineData("/Packages")]
    [InlineData("//packages")]
    [InlineData("/packages/")]
    [InlineData("/api/packages")]
    public async Task Packages_LocalStackAppPort_Answers404AndPublishesNothing(string path)
    {
        await using var app = StartLocal(_ => { }, out var origin);
        using var http = new HttpClient();
        var name = "forged" + Guid.NewGuid().ToString("N")[..12];
        var blobs = azurite.Blobs;
        await Layout().EnsureAsync(CancellationToken.None);
        var upload = blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{name}.zip");
        await upload.UploadAsync(BinaryData.FromBytes(PluginZip.Greet(name)), overwrite: true);
        try
        {
            using var response = await http.PostAsync(origin + path, Json(ForgedUpload(name)), TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var report = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(UploadProcessor.ReportBlobName(new UploadRef("acme", name)));
            Assert.False(await report.ExistsAsync(TestContext.Current.CancellationToken), "the forged call published the upload");
        }
        finally
        {
            // Never judged here, it would be judged (booted in the sandbox, published) by the next test host whose
            // blob trigger scans the shared Azurite, in the middle of that host's own test.
            await upload.DeleteIfExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        }
    }

    [Theory]
    [InlineData("/schedules")]
    [InlineData("/Schedules")]
    [InlineData("//schedules")]
    [InlineData("/schedules/")]
    [InlineData("/api/schedules")]
    public async Task Schedules_LocalStackAppPort_Answers404(string path)
    {
        await using var app = StartLocal(_ => { }, out var origin);
        using var http = new HttpClient();

        using var response = await http.PostAsync(origin + path, Json(ForgedTick), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>Runs the work items an attacker would forge, and remembers them.</summary>
    private sealed class RecordingHandler : IWorkItemHandler
    {
        public ConcurrentQueue<WorkItem> Calls { get; } = new();

        public string Kind => "contract-test";

        public Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
        {
            Calls.Enqueue(item);
            return Task.CompletedTask;
        }

        public Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The local host as <c>local/up</c> runs it, the app port a real Kestrel socket.</summary>
    private WebApplicationFactory<Program> StartLocal(Action<IServiceCollection> services, out string origin)
    {
        var port = FreePorts.Next().ToString(CultureInfo.InvariantCulture);
        var app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("urls", $"http://127.0.0.1:{port}");
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            // The triggers stay off so this host takes no other test's queue items; the routes do not depend on them.
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.ConfigureTestServices(services);
        });
        app.UseKestrel();
        app.StartServer();
        origin = $"http://127.0.0.1:{port}";
        return app;
    }

    private StorageLayout Layout() =>
        new(azurite.Blobs, azurite.Queues, azurite.Tables, NullLogger<StorageLayout>.Instance);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
