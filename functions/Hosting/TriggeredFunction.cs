using System.Net;
using System.Text.Json.Nodes;

namespace Serverless.Functions.Hosting;

/// <summary>
/// A non-HTTP function. The Functions host POSTs its invocation to <c>/{Name}</c> on the handler port;
/// locally a trigger driver builds the same payload and calls <see cref="RunAsync"/> in-process, so each
/// handler has exactly one implementation.
/// </summary>
public interface ITriggeredFunction
{
    string Name { get; }

    Task<FunctionInvocationResponse> RunAsync(FunctionInvocationRequest request, CancellationToken cancellationToken);
}

public static class TriggeredFunctionEndpoints
{
    /// <summary>Bodies above this are refused: trigger payloads carry references, not content.</summary>
    private const int MaxPayloadBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Maps <c>POST /{name}</c> per function, only under the Functions host: a trigger payload is trusted
    /// work (a forged one runs any plugin as anyone), so nothing but the host may send one. Locally the
    /// routes do not exist; the local drivers call the functions in-process.
    /// </summary>
    public static void MapTriggeredFunctions(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IConfiguration>().RunsUnderFunctionsHost())
        {
            return;
        }
        foreach (var function in app.ServiceProvider.GetServices<ITriggeredFunction>())
        {
            var name = function.Name;
            app.MapPost($"/{name}", (HttpContext http, IServiceProvider services) => InvokeAsync(http, services, name))
                .ExcludeFromDescription();
        }
    }

    private static async Task<IResult> InvokeAsync(HttpContext http, IServiceProvider services, string name)
    {
        // The host calls over loopback; the handler port binds 127.0.0.1, and this holds even if a
        // Kestrel endpoint setting binds it wider. An unknown address (no socket) is refused too.
        if (!IsLoopback(http.Connection.RemoteIpAddress))
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TriggeredFunctionEndpoints))
                .LogWarning("Refused {Function} trigger call from {Remote}: only the Functions host over loopback may call it", name, http.Connection.RemoteIpAddress?.ToString() ?? "an unknown address");
            return Results.Json(new JsonObject { ["error"] = $"the {name} function is called by the Functions host over loopback only" }, statusCode: StatusCodes.Status403Forbidden);
        }
        var function = services.GetServices<ITriggeredFunction>().Single(f => f.Name == name);
        FunctionInvocationRequest request;
        try
        {
            var body = await RequestBodies.ReadCappedAsync(http.Request, MaxPayloadBytes, http.RequestAborted)
                ?? throw new InvalidInvocationException($"the invocation payload is over {MaxPayloadBytes} bytes");
            request = FunctionInvocationRequest.Parse(body);
        }
        catch (InvalidInvocationException ex)
        {
            return Results.Json(new JsonObject { ["error"] = ex.Message }, statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            var response = await function.RunAsync(request, http.RequestAborted);
            return Results.Json(response);
        }
        catch (InvalidInvocationException ex)
        {
            return Results.Json(new JsonObject { ["error"] = ex.Message }, statusCode: StatusCodes.Status400BadRequest);
        }
        // Any other failure is a 500: the host then retries or dead-letters as its trigger does.
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
