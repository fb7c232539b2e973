using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;

namespace Serverless.Platform.Interactions;

/// <summary>
/// Component and modal custom_ids are namespaced per plugin, so two plugins in one guild can both use
/// <c>yes</c> and no plugin can make a button that runs another's handler: the platform prefixes the
/// plugin's tag to every custom_id it sends and routes a click by that tag (<see cref="CustomIdNamespace"/>).
/// The tag is keyed with this deployment's secret, 32 random bytes made by the first instance that needs
/// them and kept in blob <c>platform-keys/custom-ids.key</c> (a conditional create, so instances racing
/// to make it all end up with the first one's); plugins never see it, so none can compute another
/// plugin's tag or choose a plugin id whose tag collides with one.
/// </summary>
public sealed class CustomIds(BlobContainerClient keys)
{
    public const string KeyContainer = "platform-keys";

    public const string KeyBlob = "custom-ids.key";

    public const int KeyBytes = 32;

    public const int DiscordMaxLength = 100;

    /// <summary>"p" + 13 base-32 characters (65 bits of the MAC) + ":".</summary>
    public const int PrefixLength = 15;

    public const int MaxPluginLength = DiscordMaxLength - PrefixLength;

    private byte[]? _key;

    public async ValueTask<CustomIdNamespace> ForPluginAsync(string pluginId, CancellationToken cancellationToken) =>
        CustomIdNamespace.For(await KeyAsync(cancellationToken), pluginId);

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _key) is { } cached)
        {
            return cached;
        }
        var blob = keys.GetBlobClient(KeyBlob);
        byte[] key;
        try
        {
            key = (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == "BlobNotFound")
        {
            key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                await blob.UploadAsync(BinaryData.FromBytes(key), overwrite: false, cancellationToken);
            }
            catch (RequestFailedException conflict) when (conflict.Status is 409 or 412)
            {
                // Another instance made it first: the key is the one it stored.
                key = (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
            }
        }
        if (key.Length != KeyBytes)
        {
            throw new InvalidDataException($"{KeyContainer}/{KeyBlob} holds {key.Length} bytes, not {KeyBytes}; delete it to make a new key (every button sent so far stops working)");
        }
        Volatile.Write(ref _key, key);
        return key;
    }
}

/// <summary>One plugin's custom_ids: its prefix on the way out, and the check of a click on the way in.</summary>
public sealed class CustomIdNamespace
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    private CustomIdNamespace(string prefix) => Prefix = prefix;

    /// <summary><c>p</c>, 13 base-32 characters of HMAC-SHA256(key, plugin id), and <c>:</c>.</summary>
    public string Prefix { get; }

    public static CustomIdNamespace For(ReadOnlySpan<byte> key, string pluginId)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(pluginId), mac);
        var bits = BinaryPrimitives.ReadUInt128BigEndian(mac);
        var prefix = new StringBuilder("p", CustomIds.PrefixLength);
        for (var i = 0; i < CustomIds.PrefixLength - 2; i++)
        {
            prefix.Append(Alphabet[(int)(bits >> (123 - 5 * i)) & 31]);
        }
        return new CustomIdNamespace(prefix.Append(':').ToString());
    }

    public string Wrap(string customId) => customId.Length is 0 or > CustomIds.MaxPluginLength
        ? throw new ArgumentException($"custom_id '{customId}' is {customId.Length} characters; plugins may use 1 to {CustomIds.MaxPluginLength} (the platform adds {CustomIds.PrefixLength} to keep plugins apart)")
        : Prefix + customId;

    /// <summary>The plugin's own id when <paramref name="customId"/> carries this prefix, else null. Constant-time.</summary>
    public string? Unwrap(string customId) =>
        customId.Length > CustomIds.PrefixLength
        && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(customId.AsSpan(0, CustomIds.PrefixLength)), MemoryMarshal.AsBytes(Prefix.AsSpan()))
            ? customId[CustomIds.PrefixLength..]
            : null;
}
