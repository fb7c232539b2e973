namespace Serverless.Gateway;

/// <summary>
/// The gateway intents the sixteen events of docs/events.md need (Discord's bit values). Discord only sends the events
/// of the intents named at identify, and refuses privileged ones the application has not enabled
/// (close code 4014).
/// </summary>
[Flags]
public enum GatewayIntents
{
    None = 0,
    Guilds = 1 << 0,
    /// <summary>Privileged: "Server Members Intent" in the Developer Portal.</summary>
    GuildMembers = 1 << 1,
    GuildVoiceStates = 1 << 7,
    GuildMessages = 1 << 9,
    GuildMessageReactions = 1 << 10,
    /// <summary>Privileged: "Message Content Intent"; without it message content arrives empty.</summary>
    MessageContent = 1 << 15,
}

public static class GatewayIntentsParser
{
    /// <summary>
    /// Accepts a number ("34307") or Discord's names separated by commas or '|'
    /// ("GUILDS,GUILD_MESSAGES"); returns null when the text is neither.
    /// </summary>
    public static GatewayIntents? Parse(string text)
    {
        text = text.Trim();
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return (GatewayIntents)number;
        }
        var intents = GatewayIntents.None;
        foreach (var name in text.Split([',', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // GUILD_MESSAGES → GuildMessages: ignore case and underscores; refuse numbers hiding as names.
            if (!Enum.TryParse<GatewayIntents>(name.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var one)
                || !Enum.IsDefined(one) || char.IsAsciiDigit(name[0]))
            {
                return null;
            }
            intents |= one;
        }
        return intents;
    }
}
