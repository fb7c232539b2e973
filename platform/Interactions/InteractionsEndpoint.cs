using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Interactions;

/// <summary>
/// <c>POST /api/interactions</c>: Discord's HTTP interactions. Nothing happens before the Ed25519
/// signature over the raw body checks out; then the body is read (<see cref="Interaction"/>: one of the
/// wrong shape is a 400 naming the field) and PING is answered at once.
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
        services.AddSingleton(sp => new CustomIds(sp.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient(CustomIds.KeyContainer)));
        services.AddSingleton<InteractionRouter>();
        services.AddSingleton<DiscordActions>();
        services.AddSingleton<DeadlineProtocol>();
        services.AddSingleton<BuiltInCommands>();
        services.TryAddSingleton<InvocationHistory>();
        services.AddSingleton<Dispatch.IWorkItemHandler, InteractionWorkHandler>();
        return services;
    }

    internal static async Task<IResult> HandleAsync(HttpContext http, InteractionVerifier verifier, TimeProvider clock, ILoggerFactory loggers, DeadlineProtocol deadline)
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

        Interaction interaction;
        try
        {
            interaction = Interaction.Read(body);
        }
        catch (InteractionFormatException ex)
        {
            loggers.CreateLogger(typeof(InteractionsEndpoint)).LogInformation("Refused a signed interaction: {Reason}", ex.Message);
            return Results.Json(new JsonObject { ["error"] = ex.Message }, statusCode: StatusCodes.Status400BadRequest);
        }
        if (interaction.Type == Ping)
        {
            return Results.Json(new JsonObject { ["type"] = 1 });
        }
        var answer = await deadline.AnswerAsync(interaction, http.RequestAborted);
        return answer is null ? Results.StatusCode(StatusCodes.Status202Accepted) : Results.Json(answer);
    }

    /// <summary>An ephemeral reply rather than a failure, so the user sees why nothing happened.</summary>
    internal static JsonObject NothingInstalled(Interaction interaction)
    {
        var what = interaction.Name is { } name ? $"/{name}" : "this";
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
