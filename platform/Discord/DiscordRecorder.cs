using System.Text.Json.Nodes;

namespace Serverless.Platform.Discord;

/// <summary>
/// One Discord call the recorder answered. <see cref="InteractionId"/> is known for callbacks,
/// <see cref="InteractionToken"/> for callbacks and the webhook routes an interaction token opens.
/// </summary>
public sealed record RecordedCall(
    DateTimeOffset Time,
    string Method,
    string Route,
    string Path,
    JsonNode? Body,
    int Status,
    JsonNode? Response,
    string? InteractionId,
    string? InteractionToken);

/// <summary>
/// The calls <see cref="RecordingDiscordHandler"/> answered, newest last, bounded so a long local
/// session cannot grow it without end, plus the little state that makes its answers plausible.
/// </summary>
public sealed class DiscordRecorder
{
    public const int Capacity = 2000;

    /// <summary>How many channels it remembers (<see cref="LearnChannel"/>), oldest forgotten first.</summary>
    public const int ChannelCapacity = 10_000;

    private readonly Lock gate = new();
    private readonly LinkedList<RecordedCall> calls = new();
    private readonly Dictionary<string, JsonArray> commandsByGuild = [];
    private readonly Dictionary<string, string> guildByChannel = [];
    private readonly Queue<string> channelOrder = new();

    public IReadOnlyList<RecordedCall> Since(DateTimeOffset since)
    {
        lock (gate)
        {
            return calls.Where(c => c.Time >= since).ToList();
        }
    }

    /// <summary>
    /// Calls of one interaction, by its id or its token: a callback links the two, and the webhook
    /// calls after it carry only the token.
    /// </summary>
    public IReadOnlyList<RecordedCall> ForInteraction(string idOrToken, DateTimeOffset since)
    {
        lock (gate)
        {
            var tokens = calls.Where(c => c.InteractionId == idOrToken && c.InteractionToken is not null).Select(c => c.InteractionToken!).ToHashSet();
            tokens.Add(idOrToken);
            return calls.Where(c => c.Time >= since && (c.InteractionId == idOrToken || (c.InteractionToken is not null && tokens.Contains(c.InteractionToken)))).ToList();
        }
    }

    internal void Add(RecordedCall call)
    {
        lock (gate)
        {
            calls.AddLast(call);
            while (calls.Count > Capacity)
            {
                calls.RemoveFirst();
            }
        }
    }

    /// <summary>
    /// A channel the app heard of in a signed interaction or gateway event (<see cref="ChannelGuilds.Learn"/>):
    /// locally those are the channels that exist, and <c>GET /channels/{id}</c> answers for them.
    /// </summary>
    internal void LearnChannel(string channelId, string guildId)
    {
        lock (gate)
        {
            if (guildByChannel.TryAdd(channelId, guildId))
            {
                channelOrder.Enqueue(channelId);
                while (channelOrder.Count > ChannelCapacity)
                {
                    guildByChannel.Remove(channelOrder.Dequeue());
                }
            }
        }
    }

    internal string? GuildOfChannel(string channelId)
    {
        lock (gate)
        {
            return guildByChannel.GetValueOrDefault(channelId);
        }
    }

    internal JsonArray GetCommands(string guildId)
    {
        lock (gate)
        {
            return commandsByGuild.TryGetValue(guildId, out var commands) ? (JsonArray)commands.DeepClone() : [];
        }
    }

    internal void SetCommands(string guildId, JsonArray commands)
    {
        lock (gate)
        {
            commandsByGuild[guildId] = (JsonArray)commands.DeepClone();
        }
    }
}
