using System.Text.Json.Nodes;

namespace Serverless.Functions.Hosting;

/// <summary>
/// A non-HTTP function. The Functions host POSTs its invocation to <c>/{Name}</c>; locally a
/// trigger driver builds the same payload and calls <see cref="RunAsync"/> in-process, so each
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

    public static void MapTriggeredFunctions(this IEndpointRouteBuilder app)
    {
        foreach (var function in app.ServiceProvider.GetServices<ITriggeredFunction>())
        {
            var name = function.Name;
            app.MapPost($"/{name}", (HttpContext http, IServiceProvider services) => InvokeAsync(http, services, name))
                .ExcludeFromDescription();
        }
    }

    private static async Task<IResult> InvokeAsync(HttpContext http, IServiceProvider services, string name)
    {
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
}
