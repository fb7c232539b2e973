using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.Interactions;

/// <summary>
/// <c>POST /api/interactions</c>: Discord's HTTP interactions. Nothing happens before the Ed25519
/// signature over the raw body checks out; then PING is answered at once.
/// </summary>
public static class InteractionsEndpoint
{
    /// <summary>Discord's interaction payloads are a few KiB; anything near this is not from Discord.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public const int Ping = 1;
    public const int ApplicationCommand = 2;
    public const int MessageComponent = 3;
    public const int ApplicationCommandAutocomplete = 4;
    public const int ModalSubmit = 5;

    public static IServiceCollection AddInteractions(this IServiceCollection services, IConfiguration configuration)
    {
        var publicKey = configuration["DISCORD_PUBLIC_KEY"];
        // A bad key is a startup error, not a 401 on every request.
        services.AddSingleton(new InteractionVerifier(string.IsNullOrWhiteSpace(publicKey) ? null : new InteractionSignature(publicKey)));
        services.AddSingleton(DeadlineOptions.FromConfiguration(configuration));
        services.AddSingleton<InteractionLedger>();
        services.AddSingleton<InteractionRouter>();
        services.AddSingleton<DiscordActions>();
        services.AddSingleton<DeadlineProtocol>();
        services.AddSingleton<BuiltInCommands>();
        services.TryAddSingleton<InvocationHistory>();
        services.AddSingleton<Dispatch.IWorkItemHandler, InteractionWorkHandler>();
        return services;
    }

    public static void MapInteractions(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/interactions", HandleAsync);

    private static async Task<IResult> HandleAsync(HttpContext http, InteractionVerifier verifier, TimeProvider clock, ILoggerFactory loggers, DeadlineProtocol deadline)
    {
        if (verifier.Signature is null)
        {
            return Results.Json(new JsonObject { ["error"] = "DISCORD_PUBLIC_KEY is not set; the platform cannot verify Discord's requests" }, statusCode: 503);
        }
        var body = await RequestBodies.ReadCappedAsync(http.Request, MaxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var verdict = verifier.Signature.Verify(
            http.Request.Headers["X-Signature-Ed25519"].ToString(),
            http.Request.Headers["X-Signature-Timestamp"].ToString(),
            body,
            clock.GetUtcNow());
        if (verdict != SignatureVerdict.Valid)
        {
            loggers.CreateLogger(typeof(InteractionsEndpoint)).LogInformation("Refused an interaction: {Verdict}", verdict);
            return Results.Json(new JsonObject { ["error"] = "invalid request signature" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        JsonObject interaction;
        try
        {
            interaction = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            return Results.Json(new JsonObject { ["error"] = "the interaction is not a JSON object" }, statusCode: StatusCodes.Status400BadRequest);
        }
        if (interaction["type"] is not JsonValue typeValue || !typeValue.TryGetValue<int>(out var type))
        {
            return Results.Json(new JsonObject { ["error"] = "the interaction has no numeric \"type\"" }, statusCode: StatusCodes.Status400BadRequest);
        }

        if (type == Ping)
        {
            return Results.Json(new JsonObject { ["type"] = 1 });
        }
        if (type is not (ApplicationCommand or MessageComponent or ApplicationCommandAutocomplete or ModalSubmit))
        {
            return Results.Json(new JsonObject { ["error"] = $"unknown interaction type {type}" }, statusCode: StatusCodes.Status400BadRequest);
        }
        if (interaction["id"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || interaction["token"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return Results.Json(new JsonObject { ["error"] = "the interaction has no id or token" }, statusCode: StatusCodes.Status400BadRequest);
        }
        var answer = await deadline.AnswerAsync(interaction, type, http.RequestAborted);
        return answer is null ? Results.StatusCode(StatusCodes.Status202Accepted) : Results.Json(answer);
    }

    /// <summary>An ephemeral reply rather than a failure, so the user sees why nothing happened.</summary>
    internal static JsonObject NothingInstalled(JsonObject interaction)
    {
        var name = interaction["data"]?["name"]?.GetValue<string>();
        var what = name is null ? "this" : $"/{name}";
        return new JsonObject
        {
            ["type"] = 4,
            ["data"] = new JsonObject
            {
                ["content"] = $"No plugin installed in this server handles {what}.",
                ["flags"] = 64,
            },
        };
    }
}

/// <summary>The configured key, or none when <c>DISCORD_PUBLIC_KEY</c> is unset.</summary>
public sealed record InteractionVerifier(InteractionSignature? Signature);
