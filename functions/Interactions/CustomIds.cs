using System.Security.Cryptography;
using System.Text;

namespace Serverless.Functions.Interactions;

/// <summary>
/// Component and modal custom_ids are namespaced per plugin, so two plugins in one guild can both use
/// <c>yes</c>: the platform prefixes <c>{tag}:</c> on the way out and strips it on the way in.
/// Plugins never see the prefix; they get 100 − <see cref="PrefixLength"/> characters of their own.
/// </summary>
public static class CustomIds
{
    public const int DiscordMaxLength = 100;

    /// <summary>"p" + 6 base-32 characters + ":".</summary>
    public const int PrefixLength = 8;

    public const int MaxPluginLength = DiscordMaxLength - PrefixLength;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string Tag(string pluginId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(pluginId));
        var tag = new StringBuilder("p", 7);
        ulong bits = BitConverter.ToUInt64(hash, 0);
        for (var i = 0; i < 6; i++)
        {
            tag.Append(Alphabet[(int)(bits & 31)]);
            bits >>= 5;
        }
        return tag.ToString();
    }

    public static string Wrap(string pluginId, string customId)
    {
        if (customId.Length == 0 || customId.Length > MaxPluginLength)
        {
            throw new ArgumentException($"custom_id '{customId}' is {customId.Length} characters; plugins may use 1 to {MaxPluginLength} (the platform adds {PrefixLength} to keep plugins apart)");
        }
        return $"{Tag(pluginId)}:{customId}";
    }

    /// <summary>The tag and the plugin's own id, or null for an id the platform did not issue.</summary>
    public static (string Tag, string CustomId)? Unwrap(string customId) =>
        customId.Length > PrefixLength && customId[PrefixLength - 1] == ':' && customId[0] == 'p'
            ? (customId[..(PrefixLength - 1)], customId[PrefixLength..])
            : null;
}
