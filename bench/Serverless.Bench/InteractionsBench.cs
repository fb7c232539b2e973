using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Serverless.Bench;

/// <summary>
/// /api/interactions under concurrent load beside the bare verify-and-PONG baseline, in one run:
/// PING on both, a manifest-declared constant answer, a declared deferral; then end-to-end time from the
/// request to the plugin's answer reaching Discord (the local recorder), warm and cold.
/// Expects the app running (bench/interactions.sh starts everything) with the plugin installed.
/// </summary>
public static class InteractionsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string? fallback = null) =>
            args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback ?? throw new ArgumentException($"{name} is required");
        var app = Arg("--app").TrimEnd('/');
        var baseline = Arg("--baseline").TrimEnd('/');
        using var key = Key.Import(SignatureAlgorithm.Ed25519, File.ReadAllBytes(Arg("--key-file")), KeyBlobFormat.PkixPrivateKeyText);
        var adminKey = Arg("--admin-key");
        var guild = Arg("--guild");
        var coldGuilds = Arg("--cold-guilds").Split(',');
        var requests = int.Parse(Arg("--requests", "2000"));
        var concurrency = int.Parse(Arg("--concurrency", "16"));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
        Console.WriteLine($"machine: {Stats.Machine()}; {requests} requests per row, {concurrency} concurrent");
        Console.WriteLine();
        Console.WriteLine("| endpoint | interaction | req/s | p50 ms | p99 ms | statuses |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | --- |");
        await LoadAsync(http, baseline, "baseline (Node, native Ed25519)", "PING", requests, concurrency, _ => Ping(), key);
        await LoadAsync(http, app, "/api/interactions", "PING", requests, concurrency, _ => Ping(), key);
        await LoadAsync(http, app, "/api/interactions", "declared constant reply", requests, concurrency, i => Command(guild, "const", i), key);
        await LoadAsync(http, app, "/api/interactions", "declared deferral (+ handler queued)", Math.Min(requests, 200), Math.Min(concurrency, 8), i => Command(guild, "later", i), key);

        Console.WriteLine();
        Console.WriteLine("| end to end | runs | p50 ms | p99 ms | max ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        await EndToEndAsync(http, app, adminKey, key, "cold (first call of a fresh install: new sandbox worker)", coldGuilds.Select((g, i) => Command(g, "greet", 900_000 + i)).ToList());
        await EndToEndAsync(http, app, adminKey, key, "warm (same install, worker reused)", Enumerable.Range(0, 30).Select(i => Command(guild, "greet", 800_000 + i)).ToList());
        return 0;
    }

    private static JsonObject Ping() => new() { ["id"] = Random.Shared.NextInt64(1, long.MaxValue).ToString(), ["type"] = 1, ["token"] = "t", ["application_id"] = "0", ["version"] = 1 };

    private static JsonObject Command(string guild, string name, int i) => new()
    {
        // A snowflake (ms since Discord's epoch, shifted): the REST client refuses ids that are not.
        ["id"] = (((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1_420_070_400_000) << 22) | (uint)i).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["application_id"] = "0",
        ["type"] = 2,
        ["token"] = "bench-" + Guid.NewGuid().ToString("N"),
        ["version"] = 1,
        ["guild_id"] = guild,
        ["channel_id"] = "1",
        ["member"] = new JsonObject { ["user"] = new JsonObject { ["id"] = "2" } },
        ["data"] = new JsonObject { ["id"] = "3", ["name"] = name, ["type"] = 1, ["options"] = new JsonArray(new JsonObject { ["name"] = "user", ["type"] = 6, ["value"] = "42" }) },
    };

    private sealed record Signed(string Body, string Timestamp, string Signature, string? Token);

    private static Signed Sign(Key key, JsonObject interaction)
    {
        var body = interaction.ToJsonString();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        var signature = SignatureAlgorithm.Ed25519.Sign(key, Encoding.UTF8.GetBytes(timestamp + body));
        return new Signed(body, timestamp, Convert.ToHexStringLower(signature), interaction["token"]?.GetValue<string>());
    }

    private static HttpRequestMessage Request(string url, Signed signed)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url + "/api/interactions") { Content = new StringContent(signed.Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Signature-Ed25519", signed.Signature);
        request.Headers.Add("X-Signature-Timestamp", signed.Timestamp);
        return request;
    }

    private static async Task LoadAsync(HttpClient http, string url, string endpoint, string what, int count, int concurrency, Func<int, JsonObject> make, Key key)
    {
        // Signed before the clock starts: the load generator's own signing is not what is measured.
        var signed = Enumerable.Range(0, count).Select(i => Sign(key, make(i))).ToArray();
        for (var i = 0; i < Math.Min(50, count); i++)
        {
            using var warmup = await http.SendAsync(Request(url, Sign(key, make(count + i))));
        }
        var latencies = new ConcurrentBag<double>();
        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < signed.Length)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(Request(url, signed[index]));
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stats.Ms(start));
                statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (p50, p99, _) = Stats.Summarize(latencies);
        Console.WriteLine($"| {endpoint} | {what} | {count / seconds:0} | {p50:0.00} | {p99:0.00} | {string.Join(" ", statuses.Select(s => $"{(int)s.Key}×{s.Value}"))} |");
    }

    /// <summary>Request sent → the plugin's answer recorded by the local Discord recorder (callback or @original edit).</summary>
    private static async Task EndToEndAsync(HttpClient http, string url, string adminKey, Key key, string label, List<JsonObject> interactions)
    {
        var samples = new List<double>();
        foreach (var interaction in interactions)
        {
            var signed = Sign(key, interaction);
            var sentAt = DateTimeOffset.UtcNow;
            using var response = await http.SendAsync(Request(url, signed));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                using var recorded = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/admin/discord/recorded?interaction={signed.Token}");
                recorded.Headers.Add("x-functions-key", adminKey);
                var calls = JsonNode.Parse(await (await http.SendAsync(recorded)).Content.ReadAsStringAsync()) as JsonArray ?? [];
                var answer = calls.FirstOrDefault(c => (c?["body"]?["data"]?["content"] ?? c?["body"]?["content"])?.GetValue<string>().StartsWith("<@42>", StringComparison.Ordinal) == true);
                if (answer is not null)
                {
                    samples.Add((DateTimeOffset.Parse(answer["time"]!.GetValue<string>()) - sentAt).TotalMilliseconds);
                    break;
                }
                await Task.Delay(5);
            }
        }
        var (p50, p99, _) = Stats.Summarize(samples);
        Console.WriteLine($"| {label} | {samples.Count}/{interactions.Count} | {p50:0} | {p99:0} | {(samples.Count == 0 ? double.NaN : samples.Max()):0} |");
    }
}
