using System.Globalization;

namespace Serverless.Platform.Discord;

/// <summary>
/// One REST call's route. <see cref="Template"/> names the route without its ids, <see cref="Major"/>
/// is Discord's top-level resource (channel, guild, or webhook id + token): limits are per both.
/// </summary>
internal sealed record DiscordRoute(HttpMethod Method, string Template, string Path, string Major, bool BotAuth)
{
    public string Key => $"{Method.Method} {Template}";
}

/// <summary>
/// Waits before sending when Discord's headers say a bucket is spent, and after a 429 for as long
/// as Discord asks. Best effort by design: concurrent calls may still overshoot a bucket Discord
/// has not told us about yet, and the 429 handling is the backstop for that.
/// </summary>
internal sealed class DiscordRateLimiter(TimeProvider clock)
{
    private readonly Lock gate = new();
    // Routes sharing a limit report the same X-RateLimit-Bucket; until a route has reported one it is its own bucket.
    private readonly Dictionary<string, string> bucketOfRoute = [];
    private readonly Dictionary<string, BucketState> buckets = [];
    // Discord: "Interaction endpoints are not bound to the bot's Global Rate Limit", so a bot that
    // hit the global limit must still be able to answer interactions: one gate per authentication.
    private readonly Dictionary<bool, DateTimeOffset> globalUntil = [];

    public async Task WaitTurnAsync(DiscordRoute route, CancellationToken cancellationToken)
    {
        while (true)
        {
            var delay = TryTakeTurn(route);
            if (delay <= TimeSpan.Zero)
            {
                return;
            }
            await Task.Delay(delay, clock, cancellationToken);
        }
    }

    /// <summary>Reads <c>X-RateLimit-*</c> from any answer, 429 or not.</summary>
    public void Observe(DiscordRoute route, HttpResponseMessage response)
    {
        var hash = Header(response, "X-RateLimit-Bucket");
        var remaining = Header(response, "X-RateLimit-Remaining");
        var resetAfter = Header(response, "X-RateLimit-Reset-After");
        var limit = Header(response, "X-RateLimit-Limit");
        lock (gate)
        {
            if (hash is not null)
            {
                bucketOfRoute[route.Key] = hash;
            }
            if (int.TryParse(remaining, NumberStyles.Integer, CultureInfo.InvariantCulture, out var left)
                && double.TryParse(resetAfter, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                buckets[BucketKey(route)] = new BucketState
                {
                    Remaining = left,
                    Limit = int.TryParse(limit, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) ? max : null,
                    ResetAt = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(0, seconds)),
                };
            }
        }
    }

    /// <summary>After a 429: nothing more on this bucket (or, if global, with this authentication) until <paramref name="retryAfter"/> passed.</summary>
    public void OnRateLimited(DiscordRoute route, TimeSpan retryAfter, bool global)
    {
        lock (gate)
        {
            var until = clock.GetUtcNow() + retryAfter;
            if (global)
            {
                globalUntil[route.BotAuth] = until;
                return;
            }
            var key = BucketKey(route);
            var limit = buckets.TryGetValue(key, out var known) ? known.Limit : null;
            buckets[key] = new BucketState { Remaining = 0, Limit = limit, ResetAt = until };
        }
    }

    private TimeSpan TryTakeTurn(DiscordRoute route)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            if (globalUntil.TryGetValue(route.BotAuth, out var until) && until > now)
            {
                return until - now;
            }
            if (!buckets.TryGetValue(BucketKey(route), out var bucket))
            {
                return TimeSpan.Zero;
            }
            if (bucket.ResetAt <= now)
            {
                // A new window: full again if we know the limit, unknown (let it through) if not.
                bucket.Remaining = bucket.Limit;
                bucket.ResetAt = DateTimeOffset.MaxValue;
            }
            if (bucket.Remaining is not { } remaining)
            {
                return TimeSpan.Zero;
            }
            if (remaining > 0)
            {
                bucket.Remaining = remaining - 1;
                return TimeSpan.Zero;
            }
            return bucket.ResetAt == DateTimeOffset.MaxValue ? TimeSpan.Zero : bucket.ResetAt - now;
        }
    }

    private string BucketKey(DiscordRoute route) =>
        (bucketOfRoute.TryGetValue(route.Key, out var hash) ? hash : route.Key) + "|" + route.Major;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private sealed class BucketState
    {
        public int? Remaining { get; set; }
        public int? Limit { get; set; }
        public DateTimeOffset ResetAt { get; set; }
    }
}
