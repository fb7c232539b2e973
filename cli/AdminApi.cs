using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Cli;

/// <summary>
/// The running app's admin API (<c>/api/admin/</c>, key in header <c>x-functions-key</c>) as the verbs use
/// it: one place that finds the key, turns HTTP failures into exit codes and says what to do next.
/// </summary>
public sealed class AdminApi : IDisposable
{
    public const string KeySetting = "ADMIN_API_KEY";
    public const string DevKeySetting = "DEV_ADMIN_API_KEY";

    private readonly HttpClient _http;

    private AdminApi(HttpClient http, string baseUrl, string keyFrom)
    {
        _http = http;
        BaseUrl = baseUrl;
        KeyFrom = keyFrom;
    }

    public string BaseUrl { get; }

    /// <summary>Where the admin key came from, for error messages.</summary>
    public string KeyFrom { get; }

    public static AdminApi Create(CliConsole console, string? url, TimeSpan? timeout = null)
    {
        var baseUrl = StatusCommand.BaseUrl(console, url);
        if (!Uri.TryCreate(baseUrl + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw CliException.Usage($"'{baseUrl}' is not an http(s) URL (--url or APP_URL)");
        }
        var (key, from) = ResolveKey(console);
        var http = new HttpClient { BaseAddress = uri, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-functions-key", key);
        return new AdminApi(http, baseUrl, from);
    }

    /// <summary>
    /// <c>ADMIN_API_KEY</c> from the environment, then from local.settings.json, then the key local/up
    /// generated (<c>DEV_ADMIN_API_KEY</c> in .local/dev-secrets.env): the same order the app itself uses.
    /// </summary>
    public static (string Key, string From) ResolveKey(CliConsole console)
    {
        if (console.GetVariable(KeySetting) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment, $"${KeySetting}");
        }
        if (StorageConnection.ReadLocalSetting(console, KeySetting) is { } fromFile)
        {
            return (fromFile.Value, fromFile.From);
        }
        if (DevSecrets.Read(console) is { } secrets && secrets.Values.TryGetValue(DevKeySetting, out var dev) && dev.Length > 0)
        {
            return (dev, secrets.Path);
        }
        throw CliException.Usage($"no admin key: set {KeySetting}, put it in local.settings.json's Values, or run local/up once (it generates one in .local/dev-secrets.env)");
    }

    public async Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Get, path, null, cancellationToken)).Body ?? new JsonObject();

    public async Task<JsonNode?> SendOkAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken) =>
        (await SendAsync(method, path, body, cancellationToken)).Body;

    /// <summary>A 2xx answer; anything else ends the verb with an exit code and the platform's own words.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var (status, json, text) = await TrySendAsync(method, path, body, cancellationToken);
        if ((int)status is >= 200 and < 300)
        {
            return (status, json);
        }
        throw Failure(method, path, status, json, text);
    }

    /// <summary>The exit code and message for a failed answer.</summary>
    public CliException Failure(HttpMethod method, string path, HttpStatusCode status, JsonNode? json, string text)
    {
        var message = json?["error"]?.GetValue<string>() ?? (text.Length > 200 ? text[..200] + "…" : text);
        return status switch
        {
            HttpStatusCode.Unauthorized => CliException.Usage($"the app refused the admin key from {KeyFrom} ({message}); use the key the app runs with (local/up prints where it is)"),
            HttpStatusCode.ServiceUnavailable => CliException.Unavailable($"{method} {path}: {message}"),
            >= HttpStatusCode.InternalServerError => CliException.Unavailable($"{method} {path} failed on the app ({(int)status}): {message}; see the app's log (.local/app.log under local/up)"),
            HttpStatusCode.NotFound when json?["code"] is null => CliException.Unavailable($"{BaseUrl} has no {path}: is it this platform, and up to date? (restart local/up)"),
            _ => new CliException(ExitCodes.Failed, message),
        };
    }

    /// <summary>Any answer, with its status; only an unreachable app ends the verb.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Json, string Text)> TrySendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        return await SendRawAsync(request, cancellationToken);
    }

    public async Task<(HttpStatusCode Status, JsonNode? Json, string Text)> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
            {
                try
                {
                    json = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                }
            }
            return (response.StatusCode, json, text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw CliException.Unavailable($"nothing answers at {BaseUrl} ({ex.Message}); start the platform with local/up (or pass --url / set APP_URL)");
        }
    }

    public HttpRequestMessage NewRequest(HttpMethod method, string path, byte[] body, string contentType)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return request;
    }

    public static string Escape(string segment) => Uri.EscapeDataString(segment);

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// <c>.local/dev-secrets.env</c>, which local/up writes on its first run: the dev admin key and where
/// the dev Ed25519 private key lives. Lines of <c>NAME=value</c>.
/// </summary>
public sealed record DevSecrets(string Path, IReadOnlyDictionary<string, string> Values)
{
    public const string FileName = "dev-secrets.env";

    /// <summary>LOCAL_STATE_DIR (as local/up), else the repository's .local, else ./.local.</summary>
    public static string StateDirectory(CliConsole console) =>
        console.GetVariable("LOCAL_STATE_DIR") is { Length: > 0 } configured
            ? console.FullPath(configured)
            : System.IO.Path.Combine(CliOptions.RepoRoot(console) ?? console.WorkingDirectory, ".local");

    public static DevSecrets? Read(CliConsole console)
    {
        var path = System.IO.Path.Combine(StateDirectory(console), FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line.TrimStart().StartsWith('#'))
            {
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"');
            }
        }
        return new DevSecrets(path, values);
    }
}
