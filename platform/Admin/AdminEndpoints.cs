using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Platform.Events;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Platform.Installs;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;
using Serverless.Platform.Publishers;

namespace Serverless.Platform.Admin;

/// <summary>
/// <c>/api/admin/</c> (key in header <c>x-functions-key</c>): installs per guild and plugin logs. The
/// install contract is README.md's "Installing a plugin (admin API)": <c>PUT …/guilds/{guild}/plugins/{plugin}</c> with
/// <c>{"version": requirement, "capabilities": [...]}</c> installs or upgrades and syncs commands.
/// </summary>
public static class AdminEndpoints
{
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<InstallStore>();
        services.AddSingleton<Installer>();
        services.AddSingleton<CommandSync>();
        services.TryAddSingleton<Interactions.InvocationHistory>();
        return services;
    }

    internal static async Task<IResult> InstallAsync(string guildId, string pluginId, HttpRequest request, Installer installer, CommandSync sync, CancellationToken cancellationToken)
    {
        InstallRequest body;
        try
        {
            var json = request.ContentLength == 0 ? new JsonObject() : await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken) as JsonObject ?? throw new JsonException("not an object");
            body = new InstallRequest(
                json["version"] is JsonValue v && v.TryGetValue<string>(out var version) ? version : null,
                json["capabilities"] is JsonArray capabilities ? capabilities.Select(c => c?.GetValue<string>() ?? "").ToList() : null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Error(400, "invalid_body", "the body must be {\"version\": \"<requirement>\", \"capabilities\": [\"...\"]}");
        }
        try
        {
            var result = await installer.InstallAsync(guildId, pluginId, body, cancellationToken);
            var json = Installer.ToJson(result.Install, result.Manifest, result.Requested);
            json["previous_version"] = result.PreviousVersion?.Text;
            json["commands_sync"] = (await sync.SyncAsync(guildId, cancellationToken)).ToJson();
            // Optional so the admin API works in an app that has not wired AddEvents.
            if (request.HttpContext.RequestServices.GetService<LifecycleEvents>() is { } lifecycle)
            {
                json["lifecycle_hook"] = await lifecycle.AfterInstallAsync(result, cancellationToken);
            }
            return Results.Json(json, statusCode: result.PreviousVersion is null ? 201 : 200);
        }
        catch (InstallException ex)
        {
            return Error(ex.Status, ex.Code, ex.Message);
        }
    }

    internal static async Task<IResult> UninstallAsync(string guildId, string pluginId, Installer installer, CommandSync sync, HttpContext http, CancellationToken cancellationToken)
    {
        var removed = await installer.UninstallAsync(guildId, pluginId, cancellationToken);
        if (removed is null)
        {
            return Error(404, "not_installed", $"{pluginId} is not installed in guild {guildId}");
        }
        var json = Installer.ToJson(removed);
        json["commands_sync"] = (await sync.SyncAsync(guildId, cancellationToken)).ToJson();
        if (http.RequestServices.GetService<LifecycleEvents>() is { } lifecycle)
        {
            json["lifecycle_hook"] = await lifecycle.AfterUninstallAsync(removed, cancellationToken);
        }
        return Results.Json(json);
    }

    /// <summary>
    /// Each install with <c>custom_id_prefix</c>, the prefix its custom_ids carry (for <c>local/plugin invoke --component</c>),
    /// and <c>update</c>, a newer version it allows but is not on (<see cref="PendingUpdate"/>).
    /// </summary>
    internal static async Task<IResult> ListAsync(string guildId, InstallStore installs, Installer installer, Interactions.CustomIds customIds, CancellationToken cancellationToken)
    {
        var list = new JsonArray();
        foreach (var install in await installs.ListAsync(guildId, cancellationToken))
        {
            var json = Installer.ToJson(install, update: await installer.PendingUpdateAsync(install, cancellationToken));
            json["custom_id_prefix"] = (await customIds.ForPluginAsync(install.PluginId, cancellationToken)).Prefix;
            list.Add(json);
        }
        return Results.Json(list);
    }

    /// <summary>The newest lines, oldest first; 404 for an id nobody has published, whose log could only be empty.</summary>
    internal static async Task<IResult> LogsAsync(string pluginId, string? guild, int? limit, PluginLogs logs, PluginCatalog catalog, CancellationToken cancellationToken)
    {
        if ((await catalog.GetVersionsAsync(pluginId, cancellationToken)).Count == 0)
        {
            return Error(404, "plugin_not_found", $"no plugin '{pluginId}' is published (see GET /api/admin/plugins)");
        }
        return Results.Json(PluginLogs.ToJson(await logs.ReadAsync(pluginId, guild, Math.Clamp(limit ?? 200, 1, 1000), cancellationToken)));
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = message, ["code"] = code }, statusCode: status);
}
