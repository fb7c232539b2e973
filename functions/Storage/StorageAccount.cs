using Azure.Core;

namespace Serverless.Functions.Storage;

/// <summary>
/// Where a storage account lives and how to authenticate to it: a shared key (connection
/// string), a SAS token, or an Entra ID token (managed identity).
/// </summary>
public sealed class StorageAccount
{
    /// <summary>The well-known Azurite / emulator account key (public by design).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Entra ID scope for every storage service.</summary>
    public const string TokenScope = "https://storage.azure.com/.default";

    private StorageAccount(string accountName, Uri blobEndpoint, Uri queueEndpoint, Uri tableEndpoint)
    {
        AccountName = accountName;
        BlobEndpoint = blobEndpoint;
        QueueEndpoint = queueEndpoint;
        TableEndpoint = tableEndpoint;
    }

    public string AccountName { get; }
    public Uri BlobEndpoint { get; }
    public Uri QueueEndpoint { get; }
    public Uri TableEndpoint { get; }

    internal byte[]? AccountKey { get; private init; }
    internal TokenCredential? Credential { get; private init; }
    internal string? SharedAccessSignature { get; private init; }

    /// <summary>
    /// Parses an Azure Storage connection string: <c>UseDevelopmentStorage=true</c>, or
    /// <c>DefaultEndpointsProtocol/AccountName/AccountKey/EndpointSuffix</c> with optional
    /// explicit <c>BlobEndpoint/QueueEndpoint/TableEndpoint</c>, or a <c>SharedAccessSignature</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Lists every problem found, not just the first.</exception>
    public static StorageAccount Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var errors = new List<string>();
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Values (keys, SAS tokens) may contain '=', so split on the first one only.
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                errors.Add($"'{part}' is not a Name=Value pair.");
                continue;
            }
            settings[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var dev) && string.Equals(dev, "true", StringComparison.OrdinalIgnoreCase))
        {
            Throw(errors);
            return Development();
        }

        settings.TryGetValue("AccountName", out var accountName);
        settings.TryGetValue("AccountKey", out var accountKey);
        settings.TryGetValue("SharedAccessSignature", out var sas);
        var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        var suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net");
        if (protocol is not ("http" or "https"))
        {
            errors.Add($"DefaultEndpointsProtocol must be 'http' or 'https', not '{protocol}'.");
        }

        byte[]? key = null;
        if (!string.IsNullOrEmpty(accountKey))
        {
            try
            {
                key = Convert.FromBase64String(accountKey);
            }
            catch (FormatException)
            {
                errors.Add("AccountKey is not valid base64.");
            }
        }

        if (string.IsNullOrEmpty(accountKey) && string.IsNullOrEmpty(sas))
        {
            errors.Add("The connection string has neither AccountKey nor SharedAccessSignature; use StorageAccount.FromCredential for managed identity.");
        }
        if (string.IsNullOrEmpty(accountName) && !string.IsNullOrEmpty(accountKey))
        {
            errors.Add("AccountName is required with AccountKey (it is part of the signature).");
        }

        Uri? Endpoint(string setting, string service)
        {
            if (settings.TryGetValue(setting, out var explicitEndpoint) && !string.IsNullOrEmpty(explicitEndpoint))
            {
                if (Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                {
                    return uri;
                }
                errors.Add($"{setting} '{explicitEndpoint}' is not an absolute http(s) URI.");
                return null;
            }
            if (string.IsNullOrEmpty(accountName))
            {
                errors.Add($"{setting} or AccountName is required.");
                return null;
            }
            return new Uri($"{protocol}://{accountName}.{service}.{suffix}");
        }

        var blob = Endpoint("BlobEndpoint", "blob");
        var queue = Endpoint("QueueEndpoint", "queue");
        var table = Endpoint("TableEndpoint", "table");
        Throw(errors);

        // A SAS-only string may omit AccountName; the blob host's first label is the account.
        accountName ??= blob!.Host.Split('.')[0];
        return new StorageAccount(accountName, blob!, queue!, table!)
        {
            AccountKey = key,
            SharedAccessSignature = string.IsNullOrEmpty(sas) ? null : sas.TrimStart('?'),
        };
    }

    /// <summary>
    /// An account reached with Entra ID tokens (scope <see cref="TokenScope"/>), e.g. a managed identity.
    /// Endpoints default to the public cloud's <c>https://{account}.{service}.core.windows.net</c>.
    /// </summary>
    public static StorageAccount FromCredential(string accountName, TokenCredential credential, Uri? blobEndpoint = null, Uri? queueEndpoint = null, Uri? tableEndpoint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountName);
        ArgumentNullException.ThrowIfNull(credential);
        return new StorageAccount(
            accountName,
            blobEndpoint ?? new Uri($"https://{accountName}.blob.core.windows.net"),
            queueEndpoint ?? new Uri($"https://{accountName}.queue.core.windows.net"),
            tableEndpoint ?? new Uri($"https://{accountName}.table.core.windows.net"))
        {
            Credential = credential,
        };
    }

    /// <summary>Azurite on its default ports, as <c>UseDevelopmentStorage=true</c> means.</summary>
    public static StorageAccount Development() =>
        new(DevelopmentAccountName,
            new Uri($"http://127.0.0.1:10000/{DevelopmentAccountName}"),
            new Uri($"http://127.0.0.1:10001/{DevelopmentAccountName}"),
            new Uri($"http://127.0.0.1:10002/{DevelopmentAccountName}"))
        {
            AccountKey = Convert.FromBase64String(DevelopmentAccountKey),
        };

    public override string ToString() => $"{AccountName} ({BlobEndpoint}, {QueueEndpoint}, {TableEndpoint})";

    private static void Throw(List<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid storage connection string: " + string.Join(" ", errors), "connectionString");
        }
    }
}
