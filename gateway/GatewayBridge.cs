using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Serverless.Gateway;

/// <summary>
/// The bridge: gateway dispatches → <see cref="EventMap"/> → signed POSTs to <c>/api/events</c>.
/// Each event's id is <c>{session_id}:{sequence}</c>, unique per event and the same if it were ever sent twice.
/// </summary>
public sealed class GatewayBridge
{
    private readonly GatewayOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly EventMap _map = new();

    public GatewayBridge(GatewayOptions options, HttpClient http, ILoggerFactory loggers)
    {
        _options = options;
        _http = http;
        _logger = loggers.CreateLogger<GatewayBridge>();
        Sender = new EventSender(http, options, loggers.CreateLogger<EventSender>());
        Client = new GatewayClient(options, loggers.CreateLogger<GatewayClient>(), OnDispatch);
    }

    public EventSender Sender { get; }

    public GatewayClient Client { get; }

    /// <summary>Runs until cancelled; throws <see cref="GatewayException"/> when Discord forbids going on.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = Sender.RunAsync(stop.Token);
        try
        {
            var url = _options.GatewayUrl ?? await DiscoverAsync(cancellationToken);
            await Client.RunAsync(url, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await sending;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void OnDispatch(GatewayDispatch dispatch)
    {
        if (_map.Map(dispatch.Type, dispatch.Data) is { } mapped)
        {
            Sender.Enqueue(OutgoingEvent.Create($"{dispatch.SessionId}:{dispatch.Sequence}", mapped, dispatch.ReceivedAt));
        }
    }

    /// <summary>
    /// <c>GET /gateway/bot</c>: the URL to connect to and the identify budget. Transient failures are
    /// retried with backoff; a refused token is fatal.
    /// </summary>
    private async Task<Uri> DiscoverAsync(CancellationToken cancellationToken)
    {
        var endpoint = new Uri(_options.ApiBaseUrl.ToString().TrimEnd('/') + "/gateway/bot");
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            TimeSpan? retryAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bot", _options.BotToken);
                request.Headers.UserAgent.ParseAdd("DiscordBot (https://github.com/serverless-plugins, 1.0)");
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.ConnectTimeout);
                using var response = await _http.SendAsync(request, timeout.Token);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new GatewayException($"GET {endpoint} answered {(int)response.StatusCode}: DISCORD_BOT_TOKEN is not a valid bot token. Not retrying.");
                }
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(timeout.Token));
                    return ReadGatewayBot(document.RootElement, endpoint);
                }
                problem = $"HTTP {(int)response.StatusCode}";
                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException)
            {
                problem = ex.Message;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                problem = $"no answer within {GatewayOptions.Describe(_options.ConnectTimeout)}";
            }
            var delay = retryAfter ?? TimeSpan.FromTicks(Math.Min(_options.MaxReconnectDelay.Ticks, _options.ReconnectDelay.Ticks << Math.Min(attempt - 1, 20)));
            _logger.LogWarning("GET {Endpoint} failed ({Problem}); retrying in {Delay}", endpoint, problem, GatewayOptions.Describe(delay));
            await Task.Delay(delay, cancellationToken);
        }
    }

    private Uri ReadGatewayBot(JsonElement root, Uri endpoint)
    {
        if (!root.TryGetProperty("url", out var url) || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out var gateway))
        {
            throw new JsonException($"GET {endpoint} returned no gateway url");
        }
        if (root.TryGetProperty("session_start_limit", out var limit)
            && limit.TryGetProperty("total", out var total) && limit.TryGetProperty("remaining", out var remaining)
            && limit.TryGetProperty("reset_after", out var resetAfter))
        {
            Client.UseSessionStartLimit(new SessionStartLimit(total.GetInt32(), remaining.GetInt32(), TimeSpan.FromMilliseconds(resetAfter.GetDouble())));
        }
        if (root.TryGetProperty("shards", out var shards) && shards.TryGetInt32(out var count) && count > 1)
        {
            _logger.LogWarning("Discord recommends {Shards} shards; this bridge runs one connection", count);
        }
        return gateway;
    }
}
