using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Platform.Sandbox;

/// <summary>
/// The callback channel of Container Apps workers (docs/sandbox.md, "Container Apps job"): anonymous at
/// the Functions level, every request carries the worker's token as <c>Authorization: Bearer</c>, checked
/// against the worker id in the path. Long-poll GET for host → plugin lines and POST for plugin → host
/// output, because a request and its response pass the Functions host whole (no streaming either way).
/// 401 for a bad, expired or other worker's token; 410 once the worker is gone. The routes are
/// <c>SandboxChannelFunctions</c> (functions/Sandbox).
/// </summary>
public static class SandboxChannelEndpoints
{
    private const long MaxPostBytes = 4 * SandboxLimits.MiB;

    /// <summary><c>GET /api/sandbox/workers/{id}</c>: what the worker runs.</summary>
    internal static Task<IResult> HelloAsync(string id, HttpContext http) => WithWorker(id, http, worker =>
    {
        var hello = worker.Hello();
        return Task.FromResult(Results.Json(new JsonObject
        {
            ["worker_id"] = hello.WorkerId,
            ["command"] = new JsonArray(hello.Command.Select(part => (JsonNode)part).ToArray()),
            ["environment"] = new JsonObject(hello.Environment.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
            ["plugin_mount"] = hello.PluginMount,
            ["poll_seconds"] = hello.PollTimeout.TotalSeconds,
        }));
    });

    /// <summary><c>GET /api/sandbox/workers/{id}/package</c>: the plugin's zip, or 204 when it has none.</summary>
    internal static Task<IResult> PackageAsync(string id, HttpContext http) => WithWorker(id, http, (worker, driver) =>
        Task.FromResult(driver.Package(worker) is { } zip ? Results.File(zip, "application/zip") : Results.NoContent()));

    /// <summary><c>GET /api/sandbox/workers/{id}/channel?after=n</c>: host → plugin lines, long-polled.</summary>
    internal static Task<IResult> PollAsync(string id, long? after, HttpContext http) => WithWorker(id, http, async worker =>
    {
        var poll = await worker.PollAsync(after ?? 0, http.RequestAborted);
        return Results.Json(new JsonObject
        {
            ["lines"] = new JsonArray(poll.Lines.Select(line => (JsonNode)line).ToArray()),
            ["last"] = poll.Last,
            ["stop"] = poll.Stop,
        });
    });

    /// <summary><c>POST /api/sandbox/workers/{id}/channel</c>: plugin → host output.</summary>
    internal static Task<IResult> PostAsync(string id, HttpContext http) => WithWorker(id, http, async worker =>
    {
        if (await ReadPostAsync(http) is not { } post)
        {
            return Results.BadRequest(new JsonObject { ["error"] = "expected {\"seq\":n,\"stdout\":[…],\"stderr\":\"…\",\"exit\":{\"code\":n}}" });
        }
        var (result, stop) = await worker.AcceptAsync(post, http.RequestAborted);
        return result == ChannelPostResult.OutOfOrder
            ? Results.Conflict(new JsonObject { ["error"] = "batch out of order", ["stop"] = stop })
            : Results.Json(new JsonObject { ["stop"] = stop });
    });

    private static Task<IResult> WithWorker(string id, HttpContext http, Func<ContainerAppsSandboxWorker, Task<IResult>> handle) =>
        WithWorker(id, http, (worker, _) => handle(worker));

    private static async Task<IResult> WithWorker(string id, HttpContext http, Func<ContainerAppsSandboxWorker, ContainerAppsSandboxDriver, Task<IResult>> handle)
    {
        if (http.RequestServices.GetService<ISandboxDriver>() is not ContainerAppsSandboxDriver driver)
        {
            return Results.NotFound();
        }
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
        var (authenticated, worker) = driver.Authenticate(id, token);
        if (!authenticated)
        {
            return Results.Unauthorized();
        }
        return worker is null ? Results.StatusCode(StatusCodes.Status410Gone) : await handle(worker, driver);
    }

    private static async Task<ChannelPost?> ReadPostAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxPostBytes)
        {
            return null;
        }
        try
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            if (body.Length > MaxPostBytes || JsonNode.Parse(body.ToArray()) is not JsonObject json
                || json["seq"] is not JsonValue seqValue || !seqValue.TryGetValue<long>(out var seq) || seq < 1)
            {
                return null;
            }
            var stdout = new List<string>();
            foreach (var line in json["stdout"]?.AsArray() ?? [])
            {
                stdout.Add(line!.GetValue<string>());
            }
            var exit = json["exit"] is JsonObject e && e["code"] is JsonValue code && code.TryGetValue<int>(out var exitCode)
                ? new ChannelExit(exitCode, e["oom"] is JsonValue oom && oom.TryGetValue<bool>(out var killed) && killed)
                : null;
            return new ChannelPost(seq, stdout, json["stderr"]?.GetValue<string>(), exit);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
