using System.CommandLine;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary>
/// <c>publisher-key PUBLISHER</c> (admin): mints a publisher key, or lists or revokes them. Holding a
/// key for PUBLISHER is what lets someone upload as PUBLISHER (docs/publishers.md).
/// </summary>
public static class PublisherKeyCommand
{
    public static Command Create(CliConsole console)
    {
        var publisher = new Argument<string>("PUBLISHER") { Description = "The publisher name (the first segment of plugin-uploads/PUBLISHER/NAME.zip)" };
        var days = new Option<int?>("--days") { Description = "Days until the new key expires (1-365, default 90)", HelpName = "N" };
        var list = new Option<bool>("--list") { Description = "List the publisher's live keys (ids and expiry, never secrets) instead of minting one" };
        var revoke = new Option<string?>("--revoke") { Description = "Revoke the key with this id instead of minting one", HelpName = "KEY-ID" };
        var url = InstallCommand.UrlOption();
        var command = new Command("publisher-key", "Mint, list or revoke a publisher's upload keys (admin)")
        {
            publisher,
            days,
            list,
            revoke,
            url,
        };
        command.WithDetails("""
            Mints a key: POST /api/admin/publishers/PUBLISHER/keys. The key is printed once and stored
            nowhere but as a hash; give it to the publisher, who uploads with
            `local/plugin upload DIR --publisher PUBLISHER --key KEY` (or $PUBLISHER_KEY).
            --list shows the live keys, --revoke KEY-ID ends one at once.
            Exit 0 done, 1 refused (e.g. 10 live keys already, unknown key id), 2 usage, 3 the app is not running.
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(console, parse.GetRequiredValue(publisher), parse.GetValue(days), parse.GetValue(list), parse.GetValue(revoke), parse.GetValue(url), parse.Json(), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string publisher, int? days, bool list, string? revoke, string? url, bool json, CancellationToken cancellationToken)
    {
        if (list && revoke is not null || (list || revoke is not null) && days is not null)
        {
            throw CliException.Usage("give one of --list, --revoke KEY-ID, or (to mint) --days N");
        }
        using var api = AdminApi.Create(console, url);
        var keys = $"api/admin/publishers/{AdminApi.Escape(publisher)}/keys";
        if (list)
        {
            var listed = await api.GetAsync(keys, cancellationToken);
            if (json)
            {
                Output.WriteJson(console.Out, listed);
                return ExitCodes.Ok;
            }
            var rows = listed.AsArray();
            console.Out.WriteLine(rows.Count == 0 ? $"{publisher} holds no live keys" : $"{publisher} holds {rows.Count} live key(s):");
            foreach (var key in rows)
            {
                console.Out.WriteLine($"  {key?["key_id"]}  created {key?["created"]}  expires {key?["expires"]}");
            }
            return ExitCodes.Ok;
        }
        if (revoke is not null)
        {
            await api.SendOkAsync(HttpMethod.Delete, $"{keys}/{AdminApi.Escape(revoke)}", null, cancellationToken);
            if (json)
            {
                Output.WriteJson(console.Out, new JsonObject { ["status"] = "revoked", ["publisher"] = publisher, ["key_id"] = revoke });
            }
            else
            {
                console.Out.WriteLine($"revoked key {revoke} of {publisher}");
            }
            return ExitCodes.Ok;
        }
        var minted = await api.SendOkAsync(HttpMethod.Post, keys, days is { } n ? new JsonObject { ["expires_in_days"] = n } : null, cancellationToken) ?? new JsonObject();
        if (json)
        {
            Output.WriteJson(console.Out, minted);
            return ExitCodes.Ok;
        }
        console.Out.WriteLine($"publisher key for {publisher} (id {minted["key_id"]}, expires {minted["expires"]}); shown only now:");
        console.Out.WriteLine($"  {minted["key"]}");
        console.Out.WriteLine($"upload with: local/plugin upload DIR --publisher {publisher} --key KEY");
        return ExitCodes.Ok;
    }
}
