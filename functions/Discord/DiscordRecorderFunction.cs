using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Admin;
using Serverless.Platform.Discord;
using Serverless.Platform.Hosting;

namespace Serverless.Functions.Discord;

/// <summary>What the local Discord recorder answered (<see cref="DiscordServiceCollectionExtensions.Recorded"/>); admin key.</summary>
public sealed class DiscordRecorderFunction(DiscordRecorder recorder, DiscordOptions options)
{
    [Function("admin-discord-recorded")]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/discord/recorded")] HttpRequest request) =>
        AdminKey.Refusal(request) ?? DiscordServiceCollectionExtensions.Recorded(recorder, options, HttpQuery.Text(request, "since"), HttpQuery.Text(request, "interaction"));
}
