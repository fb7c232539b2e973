using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary><c>status</c>: asks the running app's <c>/api/health</c> and prints each check.</summary>
public static class StatusCommand
{
    public static Command Create(CliConsole console)
    {
        var url = new Option<string?>("--url") { Description = "The app's base URL (default: $APP_URL, else http://127.0.0.1:$APP_PORT, port 7071)", HelpName = "URL" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for an answer", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
        var command = new Command("status", "Show whether the local platform is up and healthy")
        {
            url,
            timeout,
        };
        command.WithDetails("""
            GET /api/health and print each check (storage, queue, sandbox).
            Exit 0 healthy, 1 unhealthy, 3 unreachable (start it with local/up).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(console, parse.GetValue(url), parse.GetValue(timeout), parse.Json(), cancellationToken));
        return command;
    }

    public static string BaseUrl(CliConsole console, string? url) =>
        (url ?? (console.GetVariable("APP_URL") is { Length: > 0 } configured
            ? configured
            : $"http://127.0.0.1:{(console.GetVariable("APP_PORT") is { Length: > 0 } port ? port : "7071")}")).TrimEnd('/');

    private static async Task<int> RunAsync(CliConsole console, string? url, int timeoutSeconds, bool json, CancellationToken cancellationToken)
    {
        var baseUrl = BaseUrl(console, url);
        if (!Uri.TryCreate(baseUrl + "/api/health", UriKind.Absolute, out var health) || health.Scheme is not ("http" or "https"))
        {
            throw CliException.Usage($"'{baseUrl}' is not an http(s) URL");
        }
        if (timeoutSeconds <= 0)
        {
            throw CliException.Usage("--timeout takes a positive number of seconds");
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        JsonObject document;
        int statusCode;
        try
        {
            using var response = await http.GetAsync(health, cancellationToken);
            statusCode = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            document = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw CliException.Unavailable($"nothing answers at {health} ({ex.Message}); start the platform with local/up (or pass --url / set APP_URL)");
        }
        catch (JsonException)
        {
            throw CliException.Unavailable($"{health} answered, but not with the platform's health document; is something else on that port? (pass --url / set APP_URL)");
        }

        var status = document["status"]?.GetValue<string>() ?? "unknown";
        var healthy = status == "healthy" && statusCode == 200;
        if (json)
        {
            document["url"] = baseUrl;
            Output.WriteJson(console.Out, document);
            return healthy ? ExitCodes.Ok : ExitCodes.Failed;
        }
        var colored = console.OutColored;
        console.Out.WriteLine($"{Output.Bold(healthy ? Output.Green(status, colored) : Output.Red(status, colored), colored)}  {Output.Dim(baseUrl, colored)}");
        if (document["checks"] is JsonObject checks)
        {
            var width = checks.Select(pair => pair.Key.Length).DefaultIfEmpty(0).Max();
            foreach (var (name, node) in checks)
            {
                var check = node as JsonObject;
                var checkStatus = check?["status"]?.GetValue<string>() ?? "unknown";
                var painted = checkStatus == "healthy" ? Output.Green(checkStatus.PadRight(9), colored) : Output.Red(checkStatus.PadRight(9), colored);
                var extras = check?.Where(pair => pair.Key is not ("status" or "detail") && pair.Value is not null)
                    .Select(pair => $"{pair.Key}={(pair.Value is JsonValue value && value.TryGetValue<string>(out var text) ? text : pair.Value!.ToJsonString())}") ?? [];
                var extra = string.Join(" ", extras);
                console.Out.WriteLine($"  {name.PadRight(width)}  {painted}  {check?["detail"]?.GetValue<string>()}{(extra.Length > 0 ? Output.Dim("  " + extra, colored) : "")}");
            }
        }
        if (!healthy)
        {
            console.Out.WriteLine("not healthy: see the details above and the app's log (.local/app.log under local/up)");
        }
        return healthy ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
