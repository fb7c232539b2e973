using System.Collections;
using System.Globalization;
using System.Text.Json;
using Azure;

namespace Serverless.Functions.Storage;

/// <summary>How an update treats properties the entity does not carry.</summary>
public enum TableUpdateMode
{
    /// <summary>Keep them (MERGE).</summary>
    Merge,

    /// <summary>Drop them (PUT replaces the whole entity).</summary>
    Replace,
}

/// <summary>
/// A table entity as a property bag (like Azure.Data.Tables' <c>TableEntity</c>). Values are
/// string, int, long, double, bool, DateTimeOffset, Guid or byte[]; reads give back the same CLR
/// types because writes annotate the ones JSON cannot tell apart (<c>odata.type</c>).
/// <see cref="PartitionKey"/> and <see cref="RowKey"/> live in the dictionary too;
/// <see cref="Timestamp"/> and <see cref="ETag"/> are set by the service and never written.
/// </summary>
public sealed class TableEntity : IDictionary<string, object?>
{
    private const string PartitionKeyName = "PartitionKey";
    private const string RowKeyName = "RowKey";
    private const string TimestampName = "Timestamp";

    private readonly Dictionary<string, object?> _properties = new(StringComparer.Ordinal);

    public TableEntity()
    {
    }

    public TableEntity(string partitionKey, string rowKey)
    {
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public TableEntity(IDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (key, value) in values)
        {
            this[key] = value;
        }
    }

    public string PartitionKey
    {
        get => GetString(PartitionKeyName) ?? "";
        set => _properties[PartitionKeyName] = value;
    }

    public string RowKey
    {
        get => GetString(RowKeyName) ?? "";
        set => _properties[RowKeyName] = value;
    }

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public object? this[string key]
    {
        get => _properties.TryGetValue(key, out var value) ? value : null;
        set
        {
            if (key == TimestampName)
            {
                Timestamp = value as DateTimeOffset?;
                return;
            }
            _properties[key] = Normalize(key, value);
        }
    }

    public string? GetString(string key) => Get<string>(key);

    public int? GetInt32(string key) => this[key] switch
    {
        null => null,
        int i => i,
        long l and >= int.MinValue and <= int.MaxValue => (int)l,
        var other => throw Mismatch(key, "Int32", other),
    };

    public long? GetInt64(string key) => this[key] switch
    {
        null => null,
        long l => l,
        int i => i,
        var other => throw Mismatch(key, "Int64", other),
    };

    public double? GetDouble(string key) => this[key] switch
    {
        null => null,
        double d => d,
        int i => i,
        long l => l,
        var other => throw Mismatch(key, "Double", other),
    };

    public bool? GetBoolean(string key) => Get<bool>(key);

    public DateTimeOffset? GetDateTimeOffset(string key) => this[key] switch
    {
        null => null,
        DateTimeOffset d => d,
        var other => throw Mismatch(key, "DateTimeOffset", other),
    };

    public DateTime? GetDateTime(string key) => GetDateTimeOffset(key)?.UtcDateTime;

    public Guid? GetGuid(string key) => this[key] switch
    {
        null => null,
        Guid g => g,
        string s when Guid.TryParse(s, out var g) => g,
        var other => throw Mismatch(key, "Guid", other),
    };

    public byte[]? GetBinary(string key) => Get<byte[]>(key);

    public BinaryData? GetBinaryData(string key) => GetBinary(key) is { } bytes ? new BinaryData(bytes) : null;

    private T? Get<T>(string key) => this[key] switch
    {
        null => default,
        T value => value,
        var other => throw Mismatch(key, typeof(T).Name, other),
    };

    private static InvalidOperationException Mismatch(string key, string wanted, object actual) =>
        new($"Property '{key}' holds a {actual.GetType().Name}, not a {wanted}.");

    /// <summary>Narrows accepted CLR values to the Edm types the service stores, failing early on anything else.</summary>
    private static object? Normalize(string key, object? value) => value switch
    {
        null or string or int or long or double or bool or Guid or byte[] or DateTimeOffset => value,
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d.ToUniversalTime()),
        BinaryData b => b.ToArray(),
        float f => (double)f,
        short or byte or sbyte or ushort => Convert.ToInt32(value, CultureInfo.InvariantCulture),
        uint u => (long)u,
        Enum e => e.ToString(),
        _ => throw new NotSupportedException($"Property '{key}' has type {value.GetType().Name}, which table storage cannot hold."),
    };

    /// <summary>The service's JSON body for a write: every property with its Edm annotation where JSON alone is ambiguous.</summary>
    internal byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in _properties)
            {
                switch (value)
                {
                    case null:
                        // The service has no null; leaving the property out is how it is "unset".
                        break;
                    case string s:
                        writer.WriteString(key, s);
                        break;
                    case int i:
                        writer.WriteNumber(key, i);
                        break;
                    case long l:
                        writer.WriteString(key + "@odata.type", "Edm.Int64");
                        writer.WriteString(key, l.ToString(CultureInfo.InvariantCulture));
                        break;
                    case double d:
                        // Annotated always: 2.0 would otherwise come back as Int32 2.
                        writer.WriteString(key + "@odata.type", "Edm.Double");
                        if (double.IsFinite(d))
                        {
                            writer.WriteNumber(key, d);
                        }
                        else
                        {
                            writer.WriteString(key, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                        }
                        break;
                    case bool b:
                        writer.WriteBoolean(key, b);
                        break;
                    case DateTimeOffset dto:
                        writer.WriteString(key + "@odata.type", "Edm.DateTime");
                        writer.WriteString(key, dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
                        break;
                    case Guid g:
                        writer.WriteString(key + "@odata.type", "Edm.Guid");
                        writer.WriteString(key, g.ToString("D"));
                        break;
                    case byte[] bytes:
                        writer.WriteString(key + "@odata.type", "Edm.Binary");
                        writer.WriteString(key, Convert.ToBase64String(bytes));
                        break;
                }
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads an entity from the service's minimal-metadata JSON, using <c>@odata.type</c> annotations for the types JSON cannot carry.</summary>
    internal static TableEntity FromJson(JsonElement element, ETag? headerETag = null)
    {
        var entity = new TableEntity();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.EndsWith("@odata.type", StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.String)
            {
                types[property.Name[..^"@odata.type".Length]] = property.Value.GetString()!;
            }
        }
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (name == "odata.etag")
            {
                entity.ETag = new ETag(property.Value.GetString()!);
                continue;
            }
            if (name.StartsWith("odata.", StringComparison.Ordinal) || name.Contains('@', StringComparison.Ordinal))
            {
                continue;
            }
            if (name == TimestampName)
            {
                // Minimal metadata leaves the system Timestamp unannotated: it is always Edm.DateTime.
                entity.Timestamp = ReadValue(property.Value, "Edm.DateTime") as DateTimeOffset?;
                continue;
            }
            entity._properties[name] = ReadValue(property.Value, types.GetValueOrDefault(name));
        }
        if (headerETag is { } etag && entity.ETag == default)
        {
            entity.ETag = etag;
        }
        return entity;
    }

    private static object? ReadValue(JsonElement value, string? edmType)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        switch (edmType)
        {
            case "Edm.Int64":
                return value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt64();
            case "Edm.Double":
                return value.ValueKind == JsonValueKind.String
                    ? value.GetString() switch
                    {
                        "NaN" => double.NaN,
                        "Infinity" => double.PositiveInfinity,
                        "-Infinity" => double.NegativeInfinity,
                        var s => double.Parse(s!, CultureInfo.InvariantCulture),
                    }
                    : value.GetDouble();
            case "Edm.DateTime":
                return DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            case "Edm.Guid":
                return Guid.Parse(value.GetString()!);
            case "Edm.Binary":
                return Convert.FromBase64String(value.GetString()!);
            case "Edm.Int32":
                return value.GetInt32();
            case "Edm.Boolean":
                return value.GetBoolean();
            case "Edm.String":
                return value.GetString();
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when value.TryGetInt32(out var i) => i,
            JsonValueKind.Number => value.GetDouble(),
            _ => value.GetRawText(),
        };
    }

    // IDictionary plumbing over the property bag.
    public ICollection<string> Keys => _properties.Keys;
    public ICollection<object?> Values => _properties.Values;
    public int Count => _properties.Count;
    public bool IsReadOnly => false;

    public void Add(string key, object? value)
    {
        if (ContainsKey(key))
        {
            throw new ArgumentException($"Property '{key}' already exists.", nameof(key));
        }
        this[key] = value;
    }

    public bool ContainsKey(string key) => _properties.ContainsKey(key);
    public bool Remove(string key) => _properties.Remove(key);
    public bool TryGetValue(string key, out object? value) => _properties.TryGetValue(key, out value);
    public void Add(KeyValuePair<string, object?> item) => Add(item.Key, item.Value);
    public void Clear() => _properties.Clear();
    public bool Contains(KeyValuePair<string, object?> item) => ((ICollection<KeyValuePair<string, object?>>)_properties).Contains(item);
    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) => ((ICollection<KeyValuePair<string, object?>>)_properties).CopyTo(array, arrayIndex);
    public bool Remove(KeyValuePair<string, object?> item) => ((ICollection<KeyValuePair<string, object?>>)_properties).Remove(item);
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _properties.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
