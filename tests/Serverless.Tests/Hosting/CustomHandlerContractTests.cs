using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Dispatch;
using Serverless.Functions.Hosting;
using Serverless.Functions.WorkQueue;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Hosting;

/// <summary>
/// The Functions host's custom-handler wire format, as documented: non-HTTP triggers POST
/// <c>{"Data":…,"Metadata":…}</c> to <c>/{function}</c> on the handler port over loopback and read back
/// <c>{"Outputs","Logs","ReturnValue"}</c>. The app runs as under the host (<see cref="FunctionsHostApp"/>).
/// </summary>
public sealed class CustomHandlerContractTests : IClassFixture<CustomHandlerContractTests.App>
{
    private readonly App _app;

    public CustomHandlerContractTests(App app) => _app = app;

    /// <summary>On Azurite: the schedules function reads its due index there.</summary>
    public sealed class App(Azurite azurite) : IAsyncLifetime
    {
        private FunctionsHostApp? _host;

        public RecordingHandler Handler { get; } = new();

        public HttpClient Host => _host!.Host;

        public async ValueTask InitializeAsync()
        {
            // Under the host infra/ creates storage; here the test does.
            await new StorageLayout(azurite.Blobs, azurite.Queues, azurite.Tables, NullLogger<StorageLayout>.Instance)
                .EnsureAsync(CancellationToken.None);
            _host = FunctionsHostApp.Start(builder =>
            {
                builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
                builder.ConfigureTestServices(services => services.AddSingleton<IWorkItemHandler>(Handler));
            });
        }

        public async ValueTask DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }
        }
    }

    public sealed class RecordingHandler : IWorkItemHandler
    {
        public List<(WorkItem Item, Delivery Delivery)> Calls { get; } = [];

        public string Kind => "contract-test";

        public Task HandleAsync(WorkItem item, Delivery delivery, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add((item, delivery));
            }
            return Task.CompletedTask;
        }

        public Task DeadLetteredAsync(WorkItem item, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static string WorkItemJson(string id) =>
        $$$"""{"schema":1,"id":"{{{id}}}","kind":"contract-test","createdAt":"2026-11-21T10:00:00+00:00","body":{"answer":42}}""";

    [Fact]
    public async Task Dispatch_QueueTriggerPayload_RunsHandlerAndAnswersHostFormat()
    {
        // The storage queue trigger's metadata: the message's id, dequeue count, times and pop receipt.
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = WorkItemJson("q-1") },
            ["Metadata"] = new JsonObject
            {
                ["DequeueCount"] = 2,
                ["Id"] = "5f0c7c1e-2f4b-4c55-9a43-6d1f0e2b7a10",
                ["InsertionTime"] = "2026-11-21T10:00:00+00:00",
                ["ExpirationTime"] = "2026-11-28T10:00:00+00:00",
                ["NextVisibleTime"] = "2026-11-21T10:00:31+00:00",
                ["PopReceipt"] = "AgAAAAMAAAAAAAAA",
                ["sys"] = new JsonObject { ["MethodName"] = "dispatch", ["UtcNow"] = "2026-11-21T10:00:01Z", ["RandGuid"] = Guid.NewGuid().ToString() },
            },
        };

        var response = await _app.Host.PostAsJsonAsync("/dispatch", payload, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.IsType<JsonObject>(body["Outputs"]);
        Assert.IsType<JsonArray>(body["Logs"]);
        // The host base64-decodes string outputs it can decode, so the return value is never a bare string.
        var returnValue = Assert.IsType<JsonObject>(body["ReturnValue"]);
        Assert.Equal("done", returnValue["status"]!.GetValue<string>());
        var call = Assert.Single(_app.Handler.Calls, c => c.Item.Id == "q-1");
        Assert.Equal(42, call.Item.Body!["answer"]!.GetValue<int>());
        Assert.Equal(2, call.Delivery.Count);
        Assert.Equal("5f0c7c1e-2f4b-4c55-9a43-6d1f0e2b7a10", call.Delivery.MessageId);
    }

    [Fact]
    public async Task Dispatch_MessageAsJsonObject_IsAcceptedToo()
    {
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = JsonNode.Parse(WorkItemJson("q-2")) },
            ["Metadata"] = new JsonObject(),
        };

        var response = await _app.Host.PostAsJsonAsync("/dispatch", payload, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_app.Handler.Calls, c => c.Item.Id == "q-2" && c.Delivery.Count == 1);
    }

    [Fact]
    public async Task Schedules_TimerTriggerPayload_AnswersHostFormat()
    {
        const string payload = """
            {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-11-21T10:00:00+00:00","Next":"2026-11-21T10:00:20+00:00","LastUpdated":"2026-11-21T10:00:10+00:00"},"IsPastDue":false}},
             "Metadata":{"sys":{"MethodName":"schedules","UtcNow":"2026-11-21T10:00:10Z","RandGuid":"6a8f8b5e-1d7c-4c43-9b1d-0f6c6f4e2a11"}}}
            """;

        var response = await _app.Host.PostAsync("/schedules", new StringContent(payload, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.False(Assert.IsType<JsonObject>(body["ReturnValue"])["isPastDue"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("/dispatch", "not json at all", "not JSON")]
    [InlineData("/dispatch", "[1,2,3]", "JSON object")]
    [InlineData("/dispatch", """{"Metadata":{}}""", "no \"Data\"")]
    [InlineData("/dispatch", """{"Data":{},"Metadata":{}}""", "Data.message")]
    [InlineData("/dispatch", """{"Data":{"message":"{\"schema\":7,\"id\":\"x\",\"kind\":\"contract-test\",\"createdAt\":\"2026-11-21T10:00:00Z\",\"body\":{}}"}}""", "schema 7")]
    [InlineData("/dispatch", """{"Data":{"message":"{\"schema\":1,\"id\":\"x\",\"kind\":\"nobody-handles-this\",\"createdAt\":\"2026-11-21T10:00:00Z\",\"body\":{}}"}}""", "no handler")]
    [InlineData("/dispatch", """{"Data":{"message":"{oops"}}""", "not valid JSON")]
    [InlineData("/schedules", """{"Data":{"timer":"soon"}}""", "timer object")]
    [InlineData("/packages", """{"Data":{"upload":null},"Metadata":{"BlobTrigger":"plugin-uploads/../../etc/passwd"}}""", "names no upload")]
    [InlineData("/packages", """{"Data":{"upload":null},"Metadata":{"publisher":"a/b","name":"x"}}""", "not a valid upload name")]
    public async Task TriggeredFunction_BadPayload_Returns400WithReason(string path, string payload, string reason)
    {
        var response = await _app.Host.PostAsync(path, new StringContent(payload, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["error"]!.GetValue<string>();
        Assert.Contains(reason, error);
    }
}
