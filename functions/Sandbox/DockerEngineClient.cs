using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Serverless.Functions.Sandbox;

/// <summary>The one error type of <see cref="DockerEngineClient"/>; status 0 means the engine was not reached.</summary>
public sealed class DockerEngineException(int status, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public int Status { get; } = status;
}

/// <summary>
/// Docker Engine API v1.41 over the engine's unix socket (or tcp://), with plain
/// <see cref="HttpClient"/>: Docker.DotNet is not restorable here. Attach needs a
/// hijacked connection HttpClient cannot give, so it speaks HTTP/1.1 by hand.
/// </summary>
public sealed class DockerEngineClient : IDisposable
{
    public const string DefaultHost = "unix:///var/run/docker.sock";
    private const string ApiVersion = "v1.41";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient http;
    private readonly EndPoint endPoint;

    public DockerEngineClient(string? dockerHost = null)
    {
        Host = string.IsNullOrWhiteSpace(dockerHost) ? DefaultHost : dockerHost.Trim();
        endPoint = ParseHost(Host);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) => new NetworkStream(await ConnectAsync(cancellationToken), ownsSocket: true),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        };
        // The host name is never resolved (ConnectCallback decides); wait calls block
        // for as long as a container runs, so timeouts are per call, not per client.
        http = new HttpClient(handler) { BaseAddress = new Uri($"http://docker/{ApiVersion}/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Host { get; }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, "_ping", null, cancellationToken);
    }

    public Task<DockerVersion> GetVersionAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync("version", DockerJsonContext.Default.DockerVersion, cancellationToken);

    /// <summary>Null when the image is not present.</summary>
    public async Task<DockerImage?> InspectImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetJsonAsync($"images/{Uri.EscapeDataString(image)}/json", DockerJsonContext.Default.DockerImage, cancellationToken);
        }
        catch (DockerEngineException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<ContainerCreateResponse> CreateContainerAsync(ContainerCreateRequest request, string? name = null, CancellationToken cancellationToken = default)
    {
        var path = name is null ? "containers/create" : $"containers/create?name={Uri.EscapeDataString(name)}";
        var body = JsonSerializer.SerializeToUtf8Bytes(request, DockerJsonContext.Default.ContainerCreateRequest);
        using var response = await SendAsync(HttpMethod.Post, path, body, cancellationToken);
        return await ReadJsonAsync(response, DockerJsonContext.Default.ContainerCreateResponse, cancellationToken);
    }

    public async Task StartContainerAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Uri.EscapeDataString(id)}/start", null, cancellationToken);
    }

    /// <summary>Blocks until the container stops; pass a token to give up waiting.</summary>
    public async Task<ContainerWaitResponse> WaitContainerAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Uri.EscapeDataString(id)}/wait", null, cancellationToken, timeout: false);
        return await ReadJsonAsync(response, DockerJsonContext.Default.ContainerWaitResponse, cancellationToken);
    }

    public async Task KillContainerAsync(string id, string signal = "SIGKILL", CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Uri.EscapeDataString(id)}/kill?signal={Uri.EscapeDataString(signal)}", null, cancellationToken);
    }

    public async Task RemoveContainerAsync(string id, bool force = true, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"containers/{Uri.EscapeDataString(id)}?force={(force ? "true" : "false")}&v=true", null, cancellationToken);
    }

    public Task<DockerContainer> InspectContainerAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync($"containers/{Uri.EscapeDataString(id)}/json", DockerJsonContext.Default.DockerContainer, cancellationToken);

    /// <summary>All containers (running or not) carrying every given label (<c>key</c> or <c>key=value</c>).</summary>
    public async Task<IReadOnlyList<DockerContainerSummary>> ListContainersAsync(IEnumerable<string> labels, CancellationToken cancellationToken = default)
    {
        var filters = new Dictionary<string, List<string>> { ["label"] = labels.ToList() };
        var json = JsonSerializer.Serialize(filters, DockerJsonContext.Default.DictionaryStringListString);
        return await GetJsonAsync($"containers/json?all=true&filters={Uri.EscapeDataString(json)}", DockerJsonContext.Default.ListDockerContainerSummary, cancellationToken);
    }

    /// <summary>One snapshot of a running container's memory and process counts.</summary>
    public Task<DockerStats> GetStatsAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync($"containers/{Uri.EscapeDataString(id)}/stats?stream=false&one-shot=true", DockerJsonContext.Default.DockerStats, cancellationToken);

    /// <summary>
    /// Attaches to stdin, stdout and stderr over a hijacked connection. Attach before
    /// start so no early output is lost. Without a TTY the output is multiplexed.
    /// </summary>
    public async Task<DockerAttachStream> AttachContainerAsync(string id, bool tty = false, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        Socket socket;
        try
        {
            socket = await ConnectAsync(timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw Unreachable(e);
        }
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var request =
                $"POST /{ApiVersion}/containers/{Uri.EscapeDataString(id)}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n" +
                "Host: docker\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);

            // Read up to the end of the headers; whatever follows already belongs to the stream.
            var buffer = new byte[16 * 1024];
            var filled = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new DockerEngineException(502, "Docker's attach response headers are too large");
                }
                var read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token);
                if (read == 0)
                {
                    throw new DockerEngineException(502, "Docker closed the attach connection before answering");
                }
                filled += read;
            }
            var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
            var status = ParseStatus(head);
            if (status is not (101 or 200))
            {
                var body = Encoding.UTF8.GetString(buffer, headerEnd + 4, filled - headerEnd - 4);
                throw new DockerEngineException(status, $"attach to {id} failed: {ErrorMessage(body, status)}");
            }
            var leftover = buffer.AsMemory(headerEnd + 4, filled - headerEnd - 4).ToArray();
            return new DockerAttachStream(stream, leftover, multiplexed: !tty, closeWrite: () => socket.Shutdown(SocketShutdown.Send));
        }
        catch (Exception e)
        {
            await stream.DisposeAsync();
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new DockerEngineException(0, $"attach to {id} timed out", e);
            }
            throw e is SocketException or IOException ? Unreachable(e) : e;
        }
    }

    public void Dispose() => http.Dispose();

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        return await ReadJsonAsync(response, type, cancellationToken);
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(body, type, cancellationToken)
                ?? throw new DockerEngineException((int)response.StatusCode, $"Docker answered {response.RequestMessage?.RequestUri?.AbsolutePath} with null");
        }
        catch (JsonException e)
        {
            throw new DockerEngineException((int)response.StatusCode, $"Docker's answer to {response.RequestMessage?.RequestUri?.AbsolutePath} is not the expected JSON: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? jsonBody, CancellationToken cancellationToken, bool timeout = true)
    {
        using var request = new HttpRequestMessage(method, path);
        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(jsonBody);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout)
        {
            limit.CancelAfter(RequestTimeout);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DockerEngineException(0, $"Docker did not answer {method} {path} within {RequestTimeout.TotalSeconds:0} s", e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new DockerEngineException((int)response.StatusCode, $"{method} {path}: {ErrorMessage(body, (int)response.StatusCode)}");
        }
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private DockerEngineException Unreachable(Exception e) => new(0, $"cannot reach the Docker engine at {Host}: {e.Message}", e);

    private static EndPoint ParseHost(string host)
    {
        if (host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return new UnixDomainSocketEndPoint(host["unix://".Length..]);
        }
        if (host.StartsWith("tcp://", StringComparison.Ordinal) && Uri.TryCreate("http://" + host["tcp://".Length..], UriKind.Absolute, out var uri))
        {
            return new DnsEndPoint(uri.Host, uri.IsDefaultPort ? 2375 : uri.Port);
        }
        throw new ArgumentException($"DOCKER_HOST '{host}' is not unix:///path or tcp://host:port", nameof(host));
    }

    private static int ParseStatus(string head)
    {
        // "HTTP/1.1 101 UPGRADED"
        var parts = head.Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], out var status) ? status : 502;
    }

    private static string ErrorMessage(string body, int status)
    {
        try
        {
            var error = JsonSerializer.Deserialize(body, DockerJsonContext.Default.DockerErrorResponse);
            if (!string.IsNullOrEmpty(error?.Message))
            {
                return error.Message;
            }
        }
        catch (JsonException)
        {
            // Not Docker's JSON error shape; fall back to the raw text.
        }
        return string.IsNullOrWhiteSpace(body) ? $"HTTP {status}" : body.Trim();
    }
}
