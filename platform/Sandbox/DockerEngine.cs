using System.Net.Sockets;
using System.Text.Json;
using Docker.DotNet;

namespace Serverless.Platform.Sandbox;

/// <summary>The Docker engine refused a call, failed it or could not be reached; status 0 means no answer came.</summary>
public sealed class DockerEngineException(int status, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public int Status { get; } = status;
}

/// <summary>
/// The platform's way onto the Docker Engine API, through Docker.DotNet: the one <see cref="DockerClient"/>
/// for DOCKER_HOST, and every call's failure, however Docker.DotNet reports it (an error answer, a socket
/// that is not there, no answer in time), as a <see cref="DockerEngineException"/> in the words health,
/// validate and a crashed invocation show.
/// </summary>
public static class DockerEngine
{
    public const string DefaultHost = "unix:///var/run/docker.sock";

    /// <summary>How long one call may take; attach and wait last as long as the container runs and are exempt.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A client for <paramref name="host"/> (<c>unix:///path</c> or <c>tcp://host:port</c>; empty is
    /// <see cref="DefaultHost"/>). No API version is asked for, so the engine answers in its own: Docker.DotNet
    /// does not negotiate one, and a version it would pin could be newer than the engine speaks.
    /// </summary>
    public static DockerClient CreateClient(string? host)
    {
        var endpoint = string.IsNullOrWhiteSpace(host) ? DefaultHost : host.Trim();
        var valid = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            && ((uri.Scheme == "unix" && uri.AbsolutePath.Length > 1) || (uri.Scheme == "tcp" && uri.Host.Length > 0));
        if (!valid)
        {
            throw new ArgumentException($"DOCKER_HOST '{endpoint}' is not unix:///path or tcp://host:port", nameof(host));
        }
        return new DockerClientConfiguration(uri, defaultTimeout: RequestTimeout).CreateClient();
    }

    /// <summary>The engine's address as DOCKER_HOST gave it.</summary>
    public static string Host(this DockerClient client) => client.Configuration.EndpointBaseUri.OriginalString;

    /// <summary>Runs one engine call named <paramref name="what"/> (<c>POST containers/create</c>); see <see cref="DockerEngine"/>.</summary>
    public static async Task<T> CallAsync<T>(this DockerClient client, string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (Exception e) when (IsEngineFailure(e, cancellationToken))
        {
            throw Failure(client, what, e);
        }
    }

    /// <inheritdoc cref="CallAsync{T}"/>
    public static Task CallAsync(this DockerClient client, string what, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        client.CallAsync(what, async token =>
        {
            await call(token);
            return true;
        }, cancellationToken);

    /// <summary>Whether the engine has <paramref name="image"/>.</summary>
    public static async Task<bool> ImageExistsAsync(this DockerClient client, string image, CancellationToken cancellationToken)
    {
        try
        {
            await client.CallAsync($"GET images/{image}/json", token => client.Images.InspectImageAsync(image, token), cancellationToken);
            return true;
        }
        catch (DockerEngineException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Docker.DotNet's ways of failing: an error answer, no connection (<see cref="HttpRequestException"/> around
    /// the socket's error), a connection lost mid-answer, or its own timeout (a cancellation nobody asked for).
    /// </summary>
    private static bool IsEngineFailure(Exception e, CancellationToken cancellationToken) =>
        e is DockerApiException or HttpRequestException or SocketException or IOException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static DockerEngineException Failure(DockerClient client, string what, Exception e) => e switch
    {
        DockerApiException api => new((int)api.StatusCode, $"{what}: {ErrorMessage(api)}", e),
        OperationCanceledException => new(0, $"Docker did not answer {what} within {RequestTimeout.TotalSeconds:0} s", e),
        _ => new(0, $"cannot reach the Docker engine at {client.Host()}: {Innermost(e).Message}", e),
    };

    /// <summary>Docker's own words, <c>{"message": "..."}</c>, else the raw answer.</summary>
    private static string ErrorMessage(DockerApiException e)
    {
        var body = e.ResponseBody?.Trim() ?? "";
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("message", out var message)
                && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // Not Docker's JSON error shape; fall back to the raw text.
        }
        return body.Length > 0 ? body : $"HTTP {(int)e.StatusCode}";
    }

    /// <summary>Docker.DotNet says "Connection failed" around the socket's own reason (no such file, refused).</summary>
    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }
        return e;
    }
}
