using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Serverless.Platform.Hosting;

namespace Serverless.Platform.Publishers;

/// <summary>A publisher key as the platform keeps it: never the secret itself.</summary>
public sealed record PublisherKey(string Publisher, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A key just minted: <see cref="Secret"/> is shown once and stored nowhere.</summary>
public sealed record MintedPublisherKey(PublisherKey Key, string Secret);

/// <summary>
/// Publisher keys (docs/publishers.md): holding a key for <c>P</c> is what makes someone publisher <c>P</c>.
/// The key is exchanged for short-lived upload SAS under <c>plugin-uploads/P/</c> only
/// (<see cref="UploadGrants"/>). Table <c>publisherkeys</c>: partition = publisher, row = key id, with
/// the SHA-256 of the secret; a key reads <c>spk1.{keyId}.{secret}</c>.
/// </summary>
public sealed class PublisherKeys(TableServiceClient tables, TimeProvider clock)
{
    public const string TableName = "publisherkeys";
    public const string Prefix = "spk1";
    public const int MaxKeysPerPublisher = 10;
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

    private TableClient Table => tables.GetTableClient(TableName);

    /// <exception cref="PublisherKeyException">the publisher already holds <see cref="MaxKeysPerPublisher"/> live keys.</exception>
    public async Task<MintedPublisherKey> MintAsync(string publisher, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        if ((await ListAsync(publisher, cancellationToken)).Count >= MaxKeysPerPublisher)
        {
            throw new PublisherKeyException(409, "too_many_keys", $"publisher '{publisher}' already holds {MaxKeysPerPublisher} live keys; revoke one first (DELETE /api/admin/publishers/{publisher}/keys/{{keyId}})");
        }
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var key = new PublisherKey(publisher, keyId, now, now + lifetime);
        await Table.AddEntityAsync(new PublisherKeyRow
        {
            PartitionKey = publisher,
            RowKey = keyId,
            SecretSha256 = Hash(secret),
            CreatedAt = key.CreatedAt,
            ExpiresAt = key.ExpiresAt,
        }, cancellationToken);
        return new MintedPublisherKey(key, $"{Prefix}.{keyId}.{secret}");
    }

    /// <summary>The publisher's keys that have not expired, oldest first.</summary>
    public async Task<IReadOnlyList<PublisherKey>> ListAsync(string publisher, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var keys = new List<PublisherKey>();
        await foreach (var row in Table.QueryAsync<PublisherKeyRow>(TableClient.CreateQueryFilter($"PartitionKey eq {publisher}"), cancellationToken: cancellationToken))
        {
            var key = FromRow(row);
            if (key.ExpiresAt > now)
            {
                keys.Add(key);
            }
        }
        return keys.OrderBy(k => k.CreatedAt).ToList();
    }

    public async Task<bool> RevokeAsync(string publisher, string keyId, CancellationToken cancellationToken) =>
        (await Table.DeleteEntityAsync(publisher, keyId, cancellationToken: cancellationToken)).Status == 204;

    /// <summary>The key, when <paramref name="presented"/> is a live key of <paramref name="publisher"/>; else null.</summary>
    public async Task<PublisherKey?> VerifyAsync(string publisher, string presented, CancellationToken cancellationToken)
    {
        var parts = presented.Split('.');
        if (parts.Length != 3 || parts[0] != Prefix || parts[1].Length != 16 || !parts[1].All(char.IsAsciiHexDigitLower) || parts[2].Length == 0)
        {
            return null;
        }
        var row = await Table.GetEntityIfExistsAsync<PublisherKeyRow>(publisher, parts[1], cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value!.SecretSha256 is not { } stored)
        {
            return null;
        }
        var key = FromRow(row.Value);
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(Hash(parts[2])));
        return matches && key.ExpiresAt > clock.GetUtcNow() ? key : null;
    }

    private static PublisherKey FromRow(PublisherKeyRow row) => new(row.PartitionKey, row.RowKey, row.CreatedAt, row.ExpiresAt);

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>A refused key operation, with the HTTP status and code the API answers.</summary>
public sealed class PublisherKeyException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}

/// <summary>A row of table <c>publisherkeys</c>: the SHA-256 (hex) of the secret, never the secret.</summary>
public sealed record PublisherKeyRow : TableRow
{
    public string? SecretSha256 { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.MinValue;

    public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MinValue;
}
