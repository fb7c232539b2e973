using System.Globalization;
using System.Text.Json.Nodes;

namespace Serverless.Platform.Discord;

public static class DiscordServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="DiscordRestClient"/> from DISCORD_API_BASE_URL, DISCORD_BOT_TOKEN and
    /// DISCORD_APPLICATION_ID. Without a bot token the client's transport is the in-process
    /// <see cref="RecordingDiscordHandler"/>; <see cref="DiscordRecorder"/> holds what it recorded.
    /// Also <see cref="ChannelGuilds"/>, which says which guild a channel is in.
    /// </summary>
    public static IServiceCollection AddDiscord(this IServiceCollection services, IConfiguration configuration)
    {
        var options = DiscordOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        services.AddSingleton<DiscordRecorder>();
        services.AddSingleton(sp =>
        {
            var clock = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            HttpMessageHandler transport = options.UsesRecorder
                ? new RecordingDiscordHandler(sp.GetRequiredService<DiscordRecorder>(), options, clock)
                // Long-lived client: recycle connections so DNS changes of discord.com are picked up.
                : new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseProxy = true };
            var http = new HttpClient(transport) { Timeout = Timeout.InfiniteTimeSpan };
            return new DiscordRestClient(http, options, clock, sp.GetService<ILogger<DiscordRestClient>>());
        });
        services.AddSingleton(sp => new ChannelGuilds(
            sp.GetRequiredService<DiscordRestClient>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            options.UsesRecorder ? sp.GetRequiredService<DiscordRecorder>() : null));
        return services;
    }

    /// <summary>
    /// <c>GET /api/admin/discord/recorded?since=…&amp;interaction=…</c>: what the local recorder answered,
    /// oldest first. <c>since</c> is an ISO 8601 time or Unix milliseconds; <c>interaction</c> an
    /// interaction id or token. 404 when a bot token is set (calls go to Discord, nothing is recorded).
    /// </summary>
    internal static IResult Recorded(DiscordRecorder recorder, DiscordOptions options, string? since, string? interaction)
    {
        if (!options.UsesRecorder)
        {
            return Results.Json(new JsonObject { ["error"] = "DISCORD_BOT_TOKEN is set: Discord calls go to Discord and are not recorded" }, statusCode: StatusCodes.Status404NotFound);
        }
        var from = DateTimeOffset.MinValue;
        if (!string.IsNullOrEmpty(since) && !TryParseTime(since, out from))
        {
            return Results.Json(new JsonObject { ["error"] = "since must be an ISO 8601 time or Unix milliseconds" }, statusCode: StatusCodes.Status400BadRequest);
        }
        var calls = string.IsNullOrEmpty(interaction) ? recorder.Since(from) : recorder.ForInteraction(interaction, from);
        var array = new JsonArray();
        foreach (var call in calls)
        {
            array.Add(new JsonObject
            {
                ["time"] = call.Time.ToString("O", CultureInfo.InvariantCulture),
                ["method"] = call.Method,
                ["route"] = call.Route,
                ["path"] = call.Path,
                ["interaction_id"] = call.InteractionId,
                ["interaction_token"] = call.InteractionToken,
                ["body"] = call.Body?.DeepClone(),
                ["status"] = call.Status,
                ["response"] = call.Response?.DeepClone(),
            });
        }
        return Results.Json(array);
    }

    private static bool TryParseTime(string value, out DateTimeOffset time)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
        {
            if (ms < 0 || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                time = default;
                return false;
            }
            time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }
}
