using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Publishers;

/// <summary>
/// Who may upload as a publisher (docs/publishers.md). The admin mints, lists and revokes a publisher's
/// keys under <c>/api/admin/publishers/{publisher}/keys</c>; the key holder trades a key for one
/// upload's SAS at <c>POST /api/publishers/{publisher}/uploads/{name}</c> (header
/// <c>Authorization: Bearer spk1.…</c>), then writes the zip to storage directly.
/// </summary>
public static class PublisherEndpoints
{
    public static IServiceCollection AddPublishers(this IServiceCollection services)
    {
        services.AddSingleton<PublisherKeys>();
        services.AddSingleton<UploadGrants>();
        return services;
    }

    internal static async Task<IResult> MintAsync(string publisher, HttpRequest request, PublisherKeys keys, CancellationToken cancellationToken)
    {
        if (!UploadRef.IsValidPublisher(publisher))
        {
            return Error(400, "invalid_publisher", InvalidPublisher(publisher));
        }
        var lifetime = PublisherKeys.DefaultLifetime;
        if (request.ContentLength is > 0 || request.Headers.ContentType.Count > 0)
        {
            try
            {
                var body = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken) as JsonObject ?? throw new JsonException("not an object");
                if (body["expires_in_days"] is { } days)
                {
                    var value = days is JsonValue number && number.TryGetValue<int>(out var parsed) ? parsed : 0;
                    if (value < 1 || TimeSpan.FromDays(value) > PublisherKeys.MaxLifetime)
                    {
                        return Error(400, "invalid_body", $"expires_in_days must be a whole number from 1 to {PublisherKeys.MaxLifetime.TotalDays:0}");
                    }
                    lifetime = TimeSpan.FromDays(value);
                }
            }
            catch (JsonException)
            {
                return Error(400, "invalid_body", "the body must be empty or {\"expires_in_days\": N}");
            }
        }
        try
        {
            var minted = await keys.MintAsync(publisher, lifetime, cancellationToken);
            var json = ToJson(minted.Key);
            json["key"] = minted.Secret;
            return Results.Json(json, statusCode: StatusCodes.Status201Created);
        }
        catch (PublisherKeyException ex)
        {
            return Error(ex.Status, ex.Code, ex.Message);
        }
    }

    internal static async Task<IResult> ListAsync(string publisher, PublisherKeys keys, CancellationToken cancellationToken) =>
        UploadRef.IsValidPublisher(publisher)
            ? Results.Json(new JsonArray((await keys.ListAsync(publisher, cancellationToken)).Select(k => (JsonNode)ToJson(k)).ToArray()))
            : Error(400, "invalid_publisher", InvalidPublisher(publisher));

    internal static async Task<IResult> RevokeAsync(string publisher, string keyId, PublisherKeys keys, CancellationToken cancellationToken) =>
        UploadRef.IsValidPublisher(publisher) && await keys.RevokeAsync(publisher, keyId, cancellationToken)
            ? Results.NoContent()
            : Error(404, "key_not_found", $"publisher '{publisher}' has no key '{keyId}' (GET /api/admin/publishers/{publisher}/keys lists them)");

    internal static async Task<IResult> GrantUploadAsync(string publisher, string name, HttpRequest request, PublisherKeys keys, UploadGrants grants, CancellationToken cancellationToken)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return Error(401, "publisher_key_missing", "send the publisher key as 'Authorization: Bearer spk1.…' (the admin mints one: POST /api/admin/publishers/{publisher}/keys)");
        }
        var upload = UploadRef.IsValidPublisher(publisher) && UploadRef.IsValidSegment(name) ? new UploadRef(publisher, name) : null;
        if (upload is null)
        {
            return Error(400, "invalid_upload_name", $"\"{publisher}/{name}.zip\" is not a valid upload name: publisher 1-64 and name 1-128 letters, digits, '_', '.' or '-', each starting with a letter or digit");
        }
        // The same answer for a wrong, expired, revoked or other publisher's key: nothing to probe.
        if (await keys.VerifyAsync(publisher, authorization[Bearer.Length..].Trim(), cancellationToken) is null)
        {
            return Error(401, "publisher_key_refused", $"this key is not a live key of publisher '{publisher}' (wrong, expired, revoked, or another publisher's)");
        }
        try
        {
            var grant = await grants.IssueAsync(upload, cancellationToken);
            return Results.Json(new JsonObject
            {
                ["publisher"] = publisher,
                ["name"] = name,
                ["upload"] = new JsonObject { ["blob"] = grant.Blob, ["url"] = grant.UploadUrl.AbsoluteUri, ["expires"] = Time(grant.UploadExpiresAt) },
                ["report"] = new JsonObject { ["blob"] = grant.ReportBlob, ["url"] = grant.ReportUrl.AbsoluteUri, ["expires"] = Time(grant.ReportExpiresAt) },
            });
        }
        catch (PublisherKeyException ex)
        {
            return Error(ex.Status, ex.Code, ex.Message);
        }
    }

    private static JsonObject ToJson(PublisherKey key) => new()
    {
        ["publisher"] = key.Publisher,
        ["key_id"] = key.KeyId,
        ["created"] = Time(key.CreatedAt),
        ["expires"] = Time(key.ExpiresAt),
    };

    private static string InvalidPublisher(string publisher) =>
        $"'{publisher}' is not a publisher name: 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit";

    private static string Time(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = message, ["code"] = code }, statusCode: status);
}
