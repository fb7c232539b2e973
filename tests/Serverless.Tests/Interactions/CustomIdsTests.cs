using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Serverless.Platform.Interactions;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Interactions;

/// <summary>The custom_id prefix is a MAC under a per-deployment key that every instance on the same storage shares.</summary>
public sealed partial class CustomIdsTests(Azurite azurite)
{
    /// <summary>A <see cref="CustomIds"/> on the shared Azurite, as the app makes it.</summary>
    public static async Task<CustomIds> OnAzuriteAsync(Azurite azurite)
    {
        var container = azurite.Blobs.GetBlobContainerClient(CustomIds.KeyContainer);
        await container.CreateIfNotExistsAsync();
        return new CustomIds(container);
    }

    /// <summary>The prefix the platform used before the key: "p" + 6 base-32 characters of a public SHA-256 of the plugin id.</summary>
    public static string OldPrefix(string pluginId)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var bits = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(pluginId)), 0);
        var tag = new StringBuilder("p");
        for (var i = 0; i < 6; i++)
        {
            tag.Append(alphabet[(int)(bits & 31)]);
            bits >>= 5;
        }
        return tag.Append(':').ToString();
    }

    /// <summary>The prefix with one bit of one of its tag characters flipped (still base-32).</summary>
    public static string FlipOneBit(string prefix, int at = 5)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var chars = prefix.ToCharArray();
        chars[at] = alphabet[alphabet.IndexOf(chars[at]) ^ 1];
        return new string(chars);
    }

    [GeneratedRegex("^p[a-z2-7]{13}:$")]
    private static partial Regex PrefixShape();

    [Fact]
    public void For_DifferentKeysOrPlugins_DifferentPrefixesOfFixedShape()
    {
        var key = RandomNumberGenerator.GetBytes(CustomIds.KeyBytes);
        var otherKey = RandomNumberGenerator.GetBytes(CustomIds.KeyBytes);

        var prefix = CustomIdNamespace.For(key, "plugin_a").Prefix;

        Assert.Matches(PrefixShape(), prefix);
        Assert.Equal(CustomIds.PrefixLength, prefix.Length);
        Assert.Equal(prefix, CustomIdNamespace.For(key, "plugin_a").Prefix);
        Assert.NotEqual(prefix, CustomIdNamespace.For(otherKey, "plugin_a").Prefix);
        Assert.NotEqual(prefix, CustomIdNamespace.For(key, "plugin_b").Prefix);
    }

    [Fact]
    public void Unwrap_BareOldFormatOrOneBitOff_IsNull()
    {
        var ids = CustomIdNamespace.For(RandomNumberGenerator.GetBytes(CustomIds.KeyBytes), "plugin_a");

        Assert.Equal("yes", ids.Unwrap(ids.Wrap("yes")));
        Assert.Null(ids.Unwrap("yes"));
        Assert.Null(ids.Unwrap(ids.Prefix));
        Assert.Null(ids.Unwrap(OldPrefix("plugin_a") + "yes"));
        for (var at = 1; at < CustomIds.PrefixLength - 1; at++)
        {
            Assert.Null(ids.Unwrap(FlipOneBit(ids.Prefix, at) + "yes"));
        }
    }

    [Fact]
    public async Task ForPluginAsync_InstancesOnTheSameStorage_AgreeOnOneKeyMadeOnce()
    {
        var container = azurite.Blobs.GetBlobContainerClient(Azurite.UniqueName("keys"));
        await container.CreateIfNotExistsAsync();
        var instances = Enumerable.Range(0, 4).Select(_ => new CustomIds(container)).ToList();

        // Four instances start at once on a deployment that has no key yet: each may try to make one.
        var prefixes = await Task.WhenAll(instances.Select(i => i.ForPluginAsync("plugin_a", CancellationToken.None).AsTask()));
        var later = await new CustomIds(container).ForPluginAsync("plugin_a", CancellationToken.None);

        Assert.Single(prefixes.Select(p => p.Prefix).Append(later.Prefix).Distinct());
        var key = (await container.GetBlobClient(CustomIds.KeyBlob).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(CustomIds.KeyBytes, key.Length);
        Assert.Equal(CustomIdNamespace.For(key, "plugin_a").Prefix, later.Prefix);
    }

    [Fact]
    public void SdkCustomIdLimit_IsWhatThePlatformLeavesPlugins()
    {
        var components = File.ReadAllText(Path.Combine(RepoPaths.Root, "sandbox", "sdk", "serverless_sdk", "components.py"));

        Assert.Matches($@"(?m)^MAX_CUSTOM_ID = {CustomIds.MaxPluginLength}\b", components);
    }
}
