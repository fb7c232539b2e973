namespace Serverless.Platform.Discord;

/// <summary>
/// Which guild a channel is in, the fact behind "a plugin acts in its install's guild only". A signed inbound
/// payload says it without a request (an interaction, or a gateway event, names its channel and its guild: see
/// <see cref="Learn"/>); otherwise <c>GET /channels/{id}</c> does. Answers are kept for <see cref="Lifetime"/>,
/// for at most <see cref="Capacity"/> channels, oldest dropped first. A channel never moves to another guild, so
/// the lifetime only bounds how long a deleted channel is remembered. With the local recorder, what is learned is
/// also what the recorder answers <c>GET /channels/{id}</c> with, since there is no Discord to ask.
/// </summary>
public sealed class ChannelGuilds(DiscordRestClient discord, TimeProvider clock, DiscordRecorder? recorder = null)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long "the bot cannot see this channel" is remembered: a plugin looping over other guilds' channel
    /// ids then costs one refused request per channel and minute, not one per call (Discord bans an IP
    /// that sends too many requests it refuses).
    /// </summary>
    public static readonly TimeSpan UnseenLifetime = TimeSpan.FromMinutes(1);
    public const int Capacity = 10_000;

    private readonly Lock gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> entries = [];

    // Oldest write first. Entries of the longer lifetime expire in this order; a shorter-lived one behind them
    // is checked on read and dropped with them or by capacity.
    private readonly LinkedList<Entry> order = new();

    /// <summary>
    /// From a payload Discord or the gateway bridge signed, and only such a payload: what a plugin says about a
    /// channel is never learned (a custom event's payload is the emitting plugin's word).
    /// </summary>
    public void Learn(string channelId, string guildId)
    {
        Remember(channelId, guildId);
        recorder?.LearnChannel(channelId, guildId);
    }

    /// <summary>
    /// The guild the channel or thread is in; null for a channel in no guild (a DM) or one the bot cannot
    /// see (Discord's 403/404: Missing Access, Unknown Channel), which is remembered for
    /// <see cref="UnseenLifetime"/>. Throws <see cref="DiscordArgumentException"/> for an id that is no
    /// snowflake, and <see cref="DiscordApiException"/> when Discord could not answer.
    /// </summary>
    public async Task<string?> GuildOfAsync(string channelId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            Expire(now);
            if (entries.TryGetValue(channelId, out var node) && node.Value.Expires > now)
            {
                return node.Value.GuildId;
            }
        }
        DiscordChannel channel;
        try
        {
            channel = await discord.GetChannelAsync(channelId, cancellationToken);
        }
        catch (DiscordApiException ex) when (ex.Status is 403 or 404)
        {
            Remember(channelId, null, UnseenLifetime);
            return null;
        }
        Remember(channelId, channel.GuildId);
        return channel.GuildId;
    }

    private void Remember(string channelId, string? guildId, TimeSpan? lifetime = null)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            if (entries.Remove(channelId, out var old))
            {
                order.Remove(old);
            }
            entries[channelId] = order.AddLast(new Entry(channelId, guildId, now + (lifetime ?? Lifetime)));
            Expire(now);
            while (order.Count > Capacity)
            {
                entries.Remove(order.First!.Value.ChannelId);
                order.RemoveFirst();
            }
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (order.First is { } first && first.Value.Expires <= now)
        {
            entries.Remove(first.Value.ChannelId);
            order.RemoveFirst();
        }
    }

    private sealed record Entry(string ChannelId, string? GuildId, DateTimeOffset Expires);
}
