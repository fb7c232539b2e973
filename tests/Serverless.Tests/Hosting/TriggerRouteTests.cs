using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Hosting;
using Serverless.Functions.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Hosting;

/// <summary>
/// A trigger payload is trusted work: a forged <c>dispatch</c> item runs any plugin's handler as a made-up user.
/// So the trigger routes exist only under the Functions host and answer only loopback callers; on a local
/// stack the drivers call the functions in-process and the app port has no such route at all.
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
        var handler = new CustomHandlerContractTests.RecordingHandler();
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
        await blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{name}.zip").UploadAsync(BinaryData.FromBytes(PluginZip.Greet(name)), overwrite: true);

        using var response = await http.PostAsync(origin + path, Json(ForgedUpload(name)), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var report = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(UploadProcessor.ReportBlobName(new UploadRef("acme", name)));
        Assert.False(await report.ExistsAsync(TestContext.Current.CancellationToken), "the forged call published the upload");
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

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("10.0.0.4")]
    [InlineData("::ffff:192.0.2.1")]
    [InlineData("2001:db8::1")]
    [InlineData(null)]
    public async Task Dispatch_FunctionsHostNonLoopbackCaller_Refused403AndRunsNothing(string? remote)
    {
        var handler = new CustomHandlerContractTests.RecordingHandler();
        await using var app = StartUnderHostInMemory(handler);

        var context = await SendAsync(app, "/" + DispatchFunction.FunctionName, ForgedDispatch("forged-remote"), remote is null ? null : IPAddress.Parse(remote));

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.Empty(handler.Calls);
    }

    [Theory]
    [InlineData("/schedules")]
    [InlineData("/packages")]
    public async Task OtherTriggers_FunctionsHostNonLoopbackCaller_Refused403(string path)
    {
        await using var app = StartUnderHostInMemory(new CustomHandlerContractTests.RecordingHandler());

        var context = await SendAsync(app, path, path == "/packages" ? ForgedUpload("forged") : ForgedTick, IPAddress.Parse("198.51.100.20"));

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task Dispatch_FunctionsHostLoopbackCaller_Runs(string remote)
    {
        var handler = new CustomHandlerContractTests.RecordingHandler();
        await using var app = StartUnderHostInMemory(handler);
        var id = "host-" + Guid.NewGuid().ToString("N");

        var context = await SendAsync(app, "/dispatch", ForgedDispatch(id), IPAddress.Parse(remote));

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Single(handler.Calls, c => c.Item.Id == id);
    }

    /// <summary>The app as <c>local/up</c> runs it: no Functions host, the app port a real Kestrel socket.</summary>
    private WebApplicationFactory<Program> StartLocal(Action<IServiceCollection> services, out string origin)
    {
        var port = FreePorts.Next().ToString(CultureInfo.InvariantCulture);
        var app = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("urls", $"http://127.0.0.1:{port}");
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            // The drivers stay off so this host takes no other test's queue items; the routes do not depend on them.
            b.UseSetting("LOCAL_TRIGGERS", "off");
            b.ConfigureTestServices(services);
        });
        app.UseKestrel();
        app.StartServer();
        origin = $"http://127.0.0.1:{port}";
        return app;
    }

    /// <summary>Under a simulated Functions host, in memory, so a test can say which address the caller has.</summary>
    private WebApplicationFactory<Program> StartUnderHostInMemory(CustomHandlerContractTests.RecordingHandler handler) =>
        new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("FUNCTIONS_CUSTOMHANDLER_PORT", "7072");
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.ConfigureTestServices(services => services.AddSingleton<IWorkItemHandler>(handler));
        });

    private static Task<HttpContext> SendAsync(WebApplicationFactory<Program> app, string path, string body, IPAddress? remote) =>
        app.Server.SendAsync(context =>
        {
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = path;
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            context.Connection.RemoteIpAddress = remote;
        }, TestContext.Current.CancellationToken);

    private StorageLayout Layout() =>
        new(azurite.Blobs, azurite.Queues, azurite.Tables, NullLogger<StorageLayout>.Instance);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
