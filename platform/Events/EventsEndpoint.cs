using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Platform.Dispatch;
using Serverless.Platform.Hosting;
using Serverless.Platform.Installs;
using Serverless.Platform.Packages;
using Serverless.Platform.WorkQueue;

namespace Serverless.Platform.Events;

/// <summary>The shared secret of the bridge, or why there is none usable.</summary>
public sealed record EventsOptions(string? Secret, string? Problem)
{
    public const string SecretSetting = "EVENTS_SHARED_SECRET";
    public const int MinSecretLength = 16;

    public static EventsOptions FromConfiguration(IConfiguration configuration)
    {
        var secret = configuration[SecretSetting];
        return string.IsNullOrEmpty(secret) ? new(null, $"{SecretSetting} is not set; the platform cannot verify the gateway bridge's events")
            : secret.Length < MinSecretLength ? new(null, $"{SecretSetting} is shorter than {MinSecretLength} characters; set a longer one on the app and the bridge")
            : new(secret, null);
    }
}

/// <summary>One event as the bridge posts it (docs/events.md).</summary>
public sealed record GatewayEvent(string Id, string GuildId, string Event, JsonObject Payload, DateTimeOffset OccurredAt)
{
    /// <summary>Reads the body, collecting every problem; null event when there is any.</summary>
    public static (GatewayEvent? Event, IReadOnlyList<string> Errors) Parse(ReadOnlySpan<byte> body)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            return (null, ["the body is not a JSON object"]);
        }
        var errors = new List<string>();
        string? Text(string name)
        {
            if (json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0)
            {
                return text;
            }
            errors.Add($"\"{name}\" must be a non-empty string");
            return null;
        }
        var id = Text("id");
        if (id is { Length: > 512 })
        {
            errors.Add("\"id\" is longer than 512 characters");
        }
        var guildId = Text("guild_id");
        if (guildId is not null && (guildId.Length > 20 || !guildId.All(char.IsAsciiDigit)))
        {
            errors.Add($"\"guild_id\" must be a snowflake (digits), got \"{guildId}\"");
        }
        var name = Text("event");
        if (name is not null && !DiscordEvents.Known.Contains(name))
        {
            errors.Add($"\"event\" must be one of the sixteen Discord events ({string.Join(", ", DiscordEvents.Known.Order(StringComparer.Ordinal))}), got \"{name}\"");
        }
        var payload = json["payload"] as JsonObject;
        if (payload is null)
        {
            errors.Add("\"payload\" must be an object");
        }
        var occurred = Text("occurred_at");
        var occurredAt = DateTimeOffset.MinValue;
        if (occurred is not null && !DateTimeOffset.TryParse(occurred, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out occurredAt))
        {
            errors.Add($"\"occurred_at\" must be an ISO 8601 time, got \"{occurred}\"");
        }
        return errors.Count > 0 ? (null, errors) : (new GatewayEvent(id!, guildId!, name!, payload!, occurredAt), errors);
    }
}

/// <summary>How many installs an event went to; <see cref="Reason"/> says why it went to none, for the one who sent it.</summary>
public sealed record FanOut(int Installs, string? Reason);

/// <summary>
/// What <c>/api/events</c> does with a verified event: claim its id (at-least-once delivery), then one work item
/// of kind <c>event</c> per install of the guild that listens to it, each with the payload that install may see.
/// </summary>
public sealed class EventIntake(EventDedup dedup, EventListeners listeners, InstallStore installs, IWorkQueue queue, TimeProvider clock, ILogger<EventIntake> logger)
{
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(10);
    private long _nextPurgeTicks;

    /// <summary>How many installs it went to (and, when none, why); null when this id was accepted before.</summary>
    public async Task<FanOut?> AcceptAsync(GatewayEvent gatewayEvent, CancellationToken cancellationToken)
    {
        if (!await dedup.TryClaimAsync(gatewayEvent.Id, gatewayEvent.OccurredAt, cancellationToken))
        {
            return null;
        }
        try
        {
            var found = await listeners.FindAsync(gatewayEvent.GuildId, gatewayEvent.Event, excludePluginId: null, cancellationToken);
            await Parallel.ForEachAsync(found, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (listener, token) =>
            {
                var install = listener.Install;
                var payload = EventContent.ForInstall(gatewayEvent.Event, gatewayEvent.Payload, install.Capabilities.ToHashSet(StringComparer.Ordinal));
                var work = new EventWork(gatewayEvent.GuildId, gatewayEvent.Event, payload, [new EventTarget(install.PluginId, install.InstallId)], null, 0, gatewayEvent.Id, CustomEvents.ChainBudget);
                await queue.EnqueueAsync(work.ToWorkItem(), token);
            });
            PurgeNowAndThen();
            return found.Count > 0 ? new FanOut(found.Count, null) : new FanOut(0, await NoListenerReasonAsync(gatewayEvent, cancellationToken));
        }
        catch
        {
            // Not done: give the id back so the bridge's retry is fanned out rather than taken for a duplicate.
            await dedup.ReleaseAsync(gatewayEvent.Id, gatewayEvent.OccurredAt, CancellationToken.None);
            throw;
        }
    }

    private async Task<string> NoListenerReasonAsync(GatewayEvent gatewayEvent, CancellationToken cancellationToken)
    {
        var count = (await installs.ListAsync(gatewayEvent.GuildId, cancellationToken)).Count;
        return count == 0
            ? $"no plugin is installed in guild {gatewayEvent.GuildId}"
            : $"none of the {count} plugin{(count == 1 ? "" : "s")} installed in guild {gatewayEvent.GuildId} listens to {gatewayEvent.Event} "
                + $"(a plugin listens with @plugin.on_event(\"{gatewayEvent.Event}\") in its code or \"events\" in its manifest)";
    }

    private void PurgeNowAndThen()
    {
        var now = clock.GetUtcNow();
        var next = Interlocked.Read(ref _nextPurgeTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextPurgeTicks, (now + PurgeEvery).UtcTicks, next) != next)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                var purged = await dedup.PurgeAsync(now, CancellationToken.None);
                logger.LogDebug("Purged {Count} old event ids", purged);
            }
            catch (Exception ex)
            {
                logger.LogWarning("Could not purge old event ids: {Message}", ex.Message);
            }
        });
    }
}

/// <summary>
/// <c>POST /api/events</c>: the gateway bridge's signed events (docs/events.md). Nothing is read before the
/// HMAC over the raw body checks out; then the event is claimed by id and fanned out. Answers 202 with the
/// number of installs it went to.
/// </summary>
public static class EventsEndpoint
{
    /// <summary>The bridge's events are small; anything near this is not from the bridge.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public static IServiceCollection AddEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(EventsOptions.FromConfiguration(configuration));
        services.AddSingleton<EventDedup>();
        services.AddSingleton<EventListeners>();
        services.AddSingleton<EventIntake>();
        services.AddSingleton<CustomEvents>();
        services.AddSingleton<LifecycleEvents>();
        services.TryAddSingleton<Interactions.InvocationHistory>();
        services.AddSingleton<IWorkItemHandler, EventWorkHandler>();
        services.AddSingleton<IWorkItemHandler, LifecycleWorkHandler>();
        return services;
    }

    internal static async Task<IResult> HandleAsync(HttpContext http, EventsOptions options, EventIntake intake, TimeProvider clock, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(EventsEndpoint));
        if (options.Secret is null)
        {
            return Results.Json(new JsonObject { ["error"] = options.Problem }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (await RequestBodies.ReadCappedAsync(http.Request, MaxBodyBytes, http.RequestAborted) is not { } body)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        var verdict = EventSignature.Verify(
            options.Secret,
            http.Request.Headers[EventSignature.SignatureHeader].ToString(),
            http.Request.Headers[EventSignature.TimestampHeader].ToString(),
            body,
            clock.GetUtcNow());
        if (verdict != EventSignatureVerdict.Valid)
        {
            logger.LogInformation("Refused an event: {Verdict}", verdict);
            return Results.Json(new JsonObject { ["error"] = "invalid event signature" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        var (gatewayEvent, errors) = GatewayEvent.Parse(body);
        if (gatewayEvent is null)
        {
            return Results.Json(new JsonObject { ["error"] = "malformed event", ["errors"] = new JsonArray(errors.Select(e => (JsonNode)e).ToArray()) }, statusCode: StatusCodes.Status400BadRequest);
        }
        FanOut? fannedOut;
        try
        {
            fannedOut = await intake.AcceptAsync(gatewayEvent, http.RequestAborted);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            // 503 makes the bridge retry; the id was released, so the retry is not mistaken for a duplicate.
            logger.LogWarning("Event {Id} not fanned out: {Message}", gatewayEvent.Id, ex.Message);
            return Results.Json(new JsonObject { ["error"] = "the event could not be queued; retry" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return Results.Json(new JsonObject
        {
            ["id"] = gatewayEvent.Id,
            ["event"] = gatewayEvent.Event,
            ["duplicate"] = fannedOut is null,
            ["fanned_out"] = fannedOut?.Installs ?? 0,
            ["reason"] = fannedOut?.Reason,
        }, statusCode: StatusCodes.Status202Accepted);
    }
}
