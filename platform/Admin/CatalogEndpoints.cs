using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Http.Features;
using Serverless.Platform.Discord;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Admin;

/// <summary>
/// The read side of the admin API that the dev portal and <c>local/plugin</c> use: what is published
/// (with each version's requested capabilities and commands), upload reports, uploads from a browser,
/// recent invocations, and whether a guild's commands on Discord match its installs.
/// </summary>
public static class CatalogEndpoints
{
    internal static async Task<IResult> ListPluginsAsync(PluginCatalog catalog, CancellationToken cancellationToken)
    {
        var result = new JsonArray();
        foreach (var (id, publisher) in (await catalog.ListAsync(cancellationToken)).OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            var versions = await catalog.GetVersionsAsync(id, cancellationToken);
            result.Add(new JsonObject
            {
                ["id"] = id,
                ["publisher"] = publisher,
                ["versions"] = new JsonArray(versions.Select(v => (JsonNode)v.Version.Text).ToArray()),
                ["latest"] = versions.Count == 0 ? null : versions[^1].Version.Text,
                ["published_at"] = versions.Count == 0 ? null : versions[^1].PublishedAt.ToString("O", CultureInfo.InvariantCulture),
            });
        }
        return Results.Json(result);
    }

    /// <summary>Oldest first, each with what an installer must consent to: capabilities, commands, and the publish report's warnings.</summary>
    internal static async Task<IResult> ListVersionsAsync(string pluginId, PluginCatalog catalog, PluginFiles files, CancellationToken cancellationToken)
    {
        var versions = await catalog.GetVersionsAsync(pluginId, cancellationToken);
        if (versions.Count == 0)
        {
            return Error(404, "plugin_not_found", $"no plugin '{pluginId}' is published (see GET /api/admin/plugins)");
        }
        var result = new JsonArray();
        foreach (var version in versions)
        {
            var manifest = (await files.GetAsync(pluginId, version.Version, cancellationToken)).Manifest;
            result.Add(new JsonObject
            {
                ["id"] = pluginId,
                ["version"] = version.Version.Text,
                ["publisher"] = version.Publisher,
                ["published_at"] = version.PublishedAt.ToString("O", CultureInfo.InvariantCulture),
                ["sha256"] = version.Sha256,
                ["name"] = manifest.Name,
                ["description"] = manifest.Description,
                ["capabilities"] = new JsonArray(manifest.EffectiveCapabilities.Order(StringComparer.Ordinal).Select(c => (JsonNode)c).ToArray()),
                ["commands"] = new JsonArray(manifest.SlashCommands.Select(c => JsonNode.Parse(c.DiscordJson.GetRawText())).ToArray()),
                ["events"] = new JsonArray(manifest.Events.Select(e => (JsonNode)e).ToArray()),
                // What the code registered at the boot check (docs/protocol.md describe); null without code.
                ["registrations"] = version.Registrations?.DeepClone(),
                ["dependencies"] = new JsonObject(version.Dependencies.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value.Text))),
                ["warnings"] = new JsonArray(version.Warnings.Select(w => (JsonNode)new JsonObject { ["code"] = w.Code, ["message"] = w.Message, ["path"] = w.Path }).ToArray()),
            });
        }
        return Results.Json(result);
    }

    /// <summary>
    /// The newest reports (of one publisher, or everyone's), newest first; with <c>plugin</c>, only those of that
    /// plugin id (a report without a readable manifest counts when its upload name is the id).
    /// </summary>
    internal static async Task<IResult> ListReportsAsync(string? publisher, string? plugin, int? limit, BlobServiceClient blobs, CancellationToken cancellationToken)
    {
        if (publisher is not null && !UploadRef.IsValidSegment(publisher))
        {
            return Error(400, "invalid_publisher", $"'{publisher}' is not a publisher name");
        }
        var container = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer);
        var items = new List<BlobItem>();
        try
        {
            await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = publisher is null ? null : publisher + "/" }, cancellationToken))
            {
                items.Add(item);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No report was ever written.
        }
        var result = new JsonArray();
        var wanted = Math.Clamp(limit ?? 50, 1, 500);
        plugin = Blank(plugin);
        foreach (var item in items.OrderByDescending(i => i.Properties.LastModified))
        {
            if (result.Count >= wanted)
            {
                break;
            }
            if (await ReadReportAsync(container.GetBlobClient(item.Name), cancellationToken) is { } report
                && (plugin is null || (report["plugin"]?["id"]?.GetValue<string>() ?? report["name"]?.GetValue<string>()) == plugin))
            {
                result.Add(report);
            }
        }
        return Results.Json(result);
    }

    /// <summary>One upload's report; with <c>etag</c>, only the report written for that very upload (404 until it is).</summary>
    internal static async Task<IResult> GetReportAsync(string publisher, string name, string? etag, BlobServiceClient blobs, CancellationToken cancellationToken)
    {
        if (UploadRef.FromBlobName($"{publisher}/{name}.zip") is not { } upload)
        {
            return Error(400, "invalid_upload_name", "publisher and name: letters, digits, '_', '.', '-'");
        }
        var blob = blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(UploadProcessor.ReportBlobName(upload));
        var report = await ReadReportAsync(blob, cancellationToken);
        if (report is null || (etag is not null && Unquote(report["upload"]?["etag"]?.GetValue<string>()) != Unquote(etag)))
        {
            return Error(404, "no_report_yet", $"no report for {upload.BlobName}{(etag is null ? "" : " at this upload")} yet; the platform writes it within seconds of an upload");
        }
        return Results.Json(report);
    }

    private static async Task<JsonObject?> ReadReportAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            if (JsonNode.Parse(content.Value.Content.ToString()) is not JsonObject report)
            {
                return null;
            }
            var slash = blob.Name.IndexOf('/', StringComparison.Ordinal);
            report["publisher"] = slash < 0 ? null : blob.Name[..slash];
            report["name"] = Path.GetFileNameWithoutExtension(blob.Name[(slash + 1)..]);
            return report;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Unquote(string? etag) => etag?.Replace("W/", "", StringComparison.Ordinal).Trim('"');

    /// <summary>
    /// The portal's drag-and-drop: the body (the zip) goes to <c>plugin-uploads/{publisher}/{name}.zip</c>,
    /// exactly where the CLI and the contract put uploads; the verdict follows at GET /reports/{publisher}/{name}?etag=….
    /// </summary>
    internal static async Task<IResult> UploadAsync(string publisher, string name, HttpContext http, BlobServiceClient blobs, PackageValidator validator, CancellationToken cancellationToken)
    {
        if (UploadRef.FromBlobName($"{publisher}/{name}.zip") is not { } upload)
        {
            return Error(400, "invalid_upload_name", "publisher: 1-64 and name: 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        var limit = validator.Limits.MaxCompressedBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit + 1;
        }
        if (http.Request.ContentLength > limit)
        {
            return Error(413, "too_large", $"the upload is {http.Request.ContentLength} bytes; the limit is {limit}");
        }
        await using var buffer = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            await http.Request.Body.CopyToAsync(buffer, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == 413)
        {
            return Error(413, "too_large", $"the upload is over the limit of {limit} bytes");
        }
        if (buffer.Length == 0)
        {
            return Error(400, "empty_upload", "the request body must be the plugin zip");
        }
        if (buffer.Length > limit)
        {
            return Error(413, "too_large", $"the upload is over the limit of {limit} bytes");
        }
        buffer.Position = 0;
        var container = blobs.GetBlobContainerClient(UploadRef.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var info = await container.GetBlobClient(upload.BlobName).UploadAsync(buffer, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/zip" } }, cancellationToken);
        return Results.Json(new JsonObject
        {
            ["blob"] = $"{UploadRef.Container}/{upload.BlobName}",
            ["etag"] = UploadProcessor.ReportETag(info.Value.ETag),
            ["bytes"] = buffer.Length,
            ["report"] = $"/api/admin/reports/{upload.Publisher}/{upload.Name}?etag={Uri.EscapeDataString(UploadProcessor.ReportETag(info.Value.ETag))}",
        }, statusCode: 202);
    }

    internal static async Task<IResult> ListInvocationsAsync(string? plugin, string? guild, string? interaction, int? limit, InvocationHistory history, CancellationToken cancellationToken)
    {
        var records = await history.ListAsync(Blank(plugin), Blank(guild), Blank(interaction), Math.Clamp(limit ?? 50, 1, 500), cancellationToken);
        return Results.Json(new JsonArray(records.Select(r => (JsonNode)r.ToJson()).ToArray()));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    internal static async Task<IResult> ListGuildsAsync(InstallStore installs, CancellationToken cancellationToken)
    {
        var guilds = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        await foreach (var install in installs.ListAllAsync(cancellationToken))
        {
            if (!guilds.TryGetValue(install.GuildId, out var plugins))
            {
                guilds[install.GuildId] = plugins = [];
            }
            plugins.Add(install.PluginId);
        }
        return Results.Json(new JsonArray(guilds.Select(g => (JsonNode)new JsonObject
        {
            ["guild_id"] = g.Key,
            ["plugins"] = new JsonArray(g.Value.Select(p => (JsonNode)p).ToArray()),
        }).ToArray()));
    }

    /// <summary>Reads Discord's commands and compares; changes nothing (POST …/commands/sync does).</summary>
    internal static async Task<IResult> CommandStatusAsync(string guildId, CommandSync sync, CancellationToken cancellationToken)
    {
        var declared = await sync.DeclaredAsync(guildId, cancellationToken);
        var (status, registered, error) = await sync.CompareAsync(declared, guildId, cancellationToken);
        return Results.Json(new JsonObject
        {
            ["guild_id"] = guildId,
            ["status"] = status,
            ["error"] = error,
            ["declared"] = new JsonArray(declared.Select(d => (JsonNode)new JsonObject
            {
                ["plugin_id"] = d.PluginId ?? "platform",
                ["name"] = d.Name,
                ["description"] = d.Description,
            }).ToArray()),
            ["registered"] = registered,
        });
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = message, ["code"] = code }, statusCode: status);
}
