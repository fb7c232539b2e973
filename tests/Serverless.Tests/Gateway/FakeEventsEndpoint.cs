using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Serverless.Gateway;

namespace Serverless.Tests.Gateway;

/// <summary>
/// Stands in for the function app's <c>POST /api/events</c>: records every request as received and answers
/// with the scripted status codes (200 once the script runs out).
/// </summary>
public sealed class FakeEventsEndpoint : IAsyncDisposable
{
    public const string Secret = "test-shared-secret-0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _statuses = new();
    private readonly List<ReceivedEvent> _requests = [];
    private readonly SemaphoreSlim _arrived = new(0);

    private FakeEventsEndpoint(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.Single().TrimEnd('/') + "/api/events");

    public IReadOnlyList<ReceivedEvent> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests the endpoint accepted (2xx), in arrival order.</summary>
    public IReadOnlyList<ReceivedEvent> Accepted => [.. Requests.Where(r => r.Status is >= 200 and < 300)];

    public void Respond(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _statuses.Enqueue(status);
        }
    }

    public static async Task<FakeEventsEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new FakeEventsEndpoint(app);
        app.MapPost("/api/events", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var status = endpoint._statuses.TryDequeue(out var scripted) ? scripted : 200;
            lock (endpoint._requests)
            {
                endpoint._requests.Add(new ReceivedEvent(
                    body.ToArray(),
                    http.Request.Headers[EventSignature.TimestampHeader].ToString(),
                    http.Request.Headers[EventSignature.SignatureHeader].ToString(),
                    http.Request.ContentType,
                    status));
            }
            endpoint._arrived.Release();
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return endpoint;
    }

    /// <summary>Waits until at least <paramref name="count"/> requests have arrived.</summary>
    public async Task<IReadOnlyList<ReceivedEvent>> WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (Requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"expected {count} requests at /api/events, got {Requests.Count}");
            }
        }
        return Requests;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed record ReceivedEvent(byte[] Body, string Timestamp, string Signature, string? ContentType, int Status)
{
    public JsonNode Json => JsonNode.Parse(Body)!;

    public string Id => Json["id"]!.GetValue<string>();

    public EventSignatureVerdict Verify(string secret = FakeEventsEndpoint.Secret) =>
        EventSignature.Verify(secret, Signature, Timestamp, Body, DateTimeOffset.UtcNow);
}
