using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Admin;
using Serverless.Platform.Hosting;
using Serverless.Platform.Installs;
using Serverless.Platform.Interactions;
using Serverless.Platform.Invocations;
using Serverless.Platform.Packages;

namespace Serverless.Functions.Admin;

/// <summary>
/// Installs per guild, command sync and plugin logs (<see cref="AdminEndpoints"/>). Every admin function is
/// <see cref="AuthorizationLevel.Function"/>: the host checks header <c>x-functions-key</c> before the function runs,
/// and the function checks that it is the admin key (<see cref="AdminKey"/>).
/// </summary>
public sealed class AdminFunctions(Installer installer, CommandSync sync, InstallStore installs, CustomIds customIds, PluginLogs logs, PluginCatalog catalog)
{
    private const string Install = "admin/guilds/{guildId}/plugins/{pluginId}";

    [Function("admin-install")]
    public async Task<IResult> InstallAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = Install)] HttpRequest request,
        string guildId, string pluginId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await AdminEndpoints.InstallAsync(guildId, pluginId, request, installer, sync, cancellationToken);

    [Function("admin-uninstall")]
    public async Task<IResult> UninstallAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = Install)] HttpRequest request,
        string guildId, string pluginId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await AdminEndpoints.UninstallAsync(guildId, pluginId, installer, sync, request.HttpContext, cancellationToken);

    [Function("admin-installs")]
    public async Task<IResult> ListInstallsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/guilds/{guildId}/plugins")] HttpRequest request,
        string guildId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? await AdminEndpoints.ListAsync(guildId, installs, installer, customIds, cancellationToken);

    [Function("admin-commands-sync")]
    public async Task<IResult> SyncCommandsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/guilds/{guildId}/commands/sync")] HttpRequest request,
        string guildId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? Results.Json((await sync.SyncAsync(guildId, cancellationToken)).ToJson());

    [Function("admin-logs")]
    public async Task<IResult> LogsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/plugins/{pluginId}/logs")] HttpRequest request,
        string pluginId, CancellationToken cancellationToken) =>
        AdminKey.Refusal(request) ?? (HttpQuery.TryInt(request, "limit", out var limit)
            ? await AdminEndpoints.LogsAsync(pluginId, HttpQuery.Text(request, "guild"), limit, logs, catalog, cancellationToken)
            : HttpQuery.BadValue());
}
