using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NSec.Cryptography;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;

namespace Serverless.Tests.Interactions;

/// <summary>
/// Interactions whose signature is valid but whose shape is not Discord's: refused with 400 and the
/// field, never a 500. The guild has a declarative plugin installed, so commands, components and modals
/// go through routing and declared answers without a sandbox or the queue.
/// </summary>
public sealed class MalformedInteractionTests(MalformedInteractionTests.App app) : IClassFixture<MalformedInteractionTests.App>
{
    public const string Guild = "424242424242";

    public sealed class App(Azurite azurite) : TestApp, IAsyncLifetime
    {
        private const string AdminKey = "malformed-admin-key";
        private static readonly (string PublicKeyHex, Key PrivateKey) Keys = InteractionSignatureTests.NewKeyPair();
        private readonly string _cacheDir = Directory.CreateTempSubdirectory("malformed-cache-").FullName;

        public Key PrivateKey => Keys.PrivateKey;

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("LOCAL_TRIGGERS", "off");
            builder.UseSetting("SANDBOX_PLATFORM_NAME", "malformed-tests-" + Guid.NewGuid().ToString("N")[..8]);
            builder.UseSetting("DISCORD_PUBLIC_KEY", Keys.PublicKeyHex);
            builder.UseSetting("ADMIN_API_KEY", AdminKey);
            builder.UseSetting("PLUGIN_CACHE_DIR", _cacheDir);
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(_cacheDir, recursive: true);
        }

        public async ValueTask InitializeAsync()
        {
            var id = "shape_" + Guid.NewGuid().ToString("N")[..10];
            var manifest = PluginZip.Manifest(id, "1.0.0", JsonNode.Parse("""
                {"slash_commands":[
                  {"name":"hello","description":"d","options":[{"name":"who","description":"w","type":3}],
                   "response":{"type":"message","content":"hi","components":[{"type":1,"components":[{"type":2,"style":1,"label":"OK","custom_id":"ok"}]}]}},
                  {"name":"form","description":"d","response":{"type":"modal","title":"Form","custom_id":"form",
                   "components":[{"type":1,"components":[{"type":4,"custom_id":"field","label":"Field","style":1}]}]}},
                  {"name":"ping","description":"d"},
                  {"name":"toolong","description":"d","response":{"type":"message","content":"x",
                   "components":[{"type":1,"components":[{"type":2,"style":1,"label":"L","custom_id":"LONG_ID"}]}]}}],
                 "hooks":{"ping":{"constant":{"content":"pong","components":[{"type":9,"accessory":{"type":2,"style":1,"label":"Again","custom_id":"again"}}]}}}}
                """.Replace("LONG_ID", new string('x', 90), StringComparison.Ordinal))!.AsObject());
            var uploads = azurite.Blobs.GetBlobContainerClient(UploadRef.Container);
            await uploads.CreateIfNotExistsAsync();
            await uploads.GetBlobClient($"acme/{id}.zip").UploadAsync(BinaryData.FromBytes(PluginZip.Build(new Dictionary<string, object> { ["manifest.json"] = manifest })), overwrite: true);
            var http = CreateClient();
            http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
            // Judged in-process, as the packages function does for the blob trigger (it has no HTTP route).
            var report = await Services.GetRequiredService<UploadProcessor>().ProcessAsync(new UploadRef("acme", id), CancellationToken.None);
            Assert.True(report["status"]!.GetValue<string>() == "published", report.ToJsonString());
            var install = await http.PutAsJsonAsync($"/api/admin/guilds/{Guild}/plugins/{id}", new JsonObject { ["version"] = "*" });
            Assert.True(install.StatusCode == HttpStatusCode.Created, await install.Content.ReadAsStringAsync());
        }
    }

    private static string Envelope(int type, string data, string extra = "") =>
        $$$"""{"id":"{{{Random.Shared.NextInt64(1, long.MaxValue)}}}","application_id":"11","type":{{{type}}},"token":"tok","version":1,"guild_id":"{{{Guild}}}","channel_id":"700","member":{"user":{"id":"42"}}{{{extra}}},"data":{{{data}}}}""";

    /// <summary>One valid interaction of every kind the endpoint reads, each answered without the queue.</summary>
    public static readonly string[] Valid =
    [
        """{"id":"1","application_id":"11","type":1,"token":"tok","version":1}""",
        Envelope(2, """{"id":"5","name":"hello","type":1,"options":[{"name":"who","type":3,"value":"me"}],"resolved":{"users":{}}}"""),
        Envelope(2, """{"id":"5","name":"form","type":1}"""),
        Envelope(2, """{"id":"5","name":"ping","type":1}"""),
        Envelope(2, """{"id":"5","name":"plugins","type":1,"options":[{"name":"info","type":1,"options":[{"name":"plugin","type":3,"value":"x"}]}]}"""),
        Envelope(2, """{"id":"5","name":"help","type":1}"""),
        Envelope(4, """{"id":"5","name":"unknown","type":1,"options":[{"name":"q","type":3,"value":"a","focused":true}]}"""),
        Envelope(3, """{"custom_id":"pabcdefghijklmn:ok","component_type":3,"values":["a","b"]}""", ""","message":{"id":"555"},"channel":{"id":"700"},"user":{"id":"42"}"""),
        Envelope(5, """{"custom_id":"pabcdefghijklmn:form","components":[{"type":1,"components":[{"type":4,"custom_id":"pabcdefghijklmn:field","value":"v"}]},{"type":18,"component":{"type":3,"custom_id":"pabcdefghijklmn:pick","values":["a"]}}]}"""),
    ];

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(string body)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/interactions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Signature-Ed25519", InteractionSignatureTests.Sign(app.PrivateKey, timestamp, Encoding.UTF8.GetBytes(body)));
        request.Headers.Add("X-Signature-Timestamp", timestamp);
        using var response = await app.CreateClient().SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try
        {
            json = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
        }
        return (response.StatusCode, json);
    }

    [Fact]
    public async Task Post_EveryValidKind_AnsweredWithoutServerError()
    {
        foreach (var body in Valid)
        {
            var (status, answer) = await PostAsync(body);

            // 202: another app on the same test storage ran the command and answered through the callback route.
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Accepted, $"{body}: {(int)status} {answer?.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Post_DeclaredAnswerWithACustomIdTooLongToPrefix_EphemeralNoticeNotAServerError()
    {
        var (status, answer) = await PostAsync(Envelope(2, """{"id":"5","name":"toolong","type":1}"""));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(64, answer!["data"]!["flags"]!.GetValue<int>());
        Assert.Contains("components[0].components[0].custom_id", answer["data"]!["content"]!.GetValue<string>());
        Assert.Contains("1 to 85", answer["data"]!["content"]!.GetValue<string>());
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { """{"id":"1","application_id":"11","type":"2","token":"t"}""", "\"type\" must be an integer, got a string" },
        { """{"id":"1","application_id":"11","type":2.5,"token":"t"}""", "\"type\" must be an integer" },
        { """{"id":"1","application_id":"11","type":7,"token":"t"}""", "\"type\" 7" },
        { """{"id":1,"application_id":"11","type":2,"token":"t"}""", "\"id\" must be a string" },
        { """{"id":"abc","application_id":"11","type":2,"token":"t"}""", "\"id\" must be a snowflake" },
        { """{"id":"1","type":2,"token":"t","data":{"name":"x"}}""", "\"application_id\" is required" },
        { """{"id":"1","application_id":"11","type":2,"token":{"t":1},"data":{"name":"x"}}""", "\"token\" must be a string, got an object" },
        { Envelope(2, """{"name":"hello"}""").Replace($"\"guild_id\":\"{Guild}\"", $"\"guild_id\":{Guild}"), "\"guild_id\" must be a string, got the number" },
        { Envelope(2, """{"name":"hello"}""").Replace("\"channel_id\":\"700\"", "\"channel_id\":[700]"), "\"channel_id\" must be a string, got an array" },
        { Envelope(2, """{"name":"hello"}""").Replace("\"member\":{\"user\":{\"id\":\"42\"}}", "\"member\":\"42\""), "\"member\" must be an object, got a string" },
        { Envelope(2, """{"name":"hello"}""").Replace("\"member\":{\"user\":{\"id\":\"42\"}}", "\"member\":{\"user\":{\"id\":{\"n\":42}}}"), "\"member.user.id\" must be a string, got an object" },
        { Envelope(2, """{"name":"hello"}""", ""","user":[]"""), "\"user\" must be an object, got an array" },
        { Envelope(2, """{"name":"hello"}""", ""","channel":{"id":7}"""), "\"channel.id\" must be a string" },
        { Envelope(2, """[{"name":"hello"}]"""), "\"data\" must be an object, got an array" },
        { Envelope(2, "null"), "\"data\" is required" },
        { Envelope(2, """{"name":42}"""), "\"data.name\" must be a string, got the number 42" },
        { Envelope(2, """{"id":"5"}"""), "\"data.name\" is required" },
        { Envelope(2, """{"name":"hello","options":{"who":"me"}}"""), "\"data.options\" must be an array, got an object" },
        { Envelope(2, """{"name":"hello","options":["who"]}"""), "\"data.options[0]\" must be an object, got a string" },
        { Envelope(2, """{"name":"hello","options":[{"name":1,"type":3}]}"""), "\"data.options[0].name\" must be a string" },
        { Envelope(2, """{"name":"hello","options":[{"name":"who","type":"3"}]}"""), "\"data.options[0].type\" must be an integer" },
        { Envelope(2, """{"name":"hello","options":[{"name":"who","type":3,"value":{"v":1}}]}"""), "\"data.options[0].value\" must be a string, number or boolean, got an object" },
        { Envelope(2, """{"name":"plugins","options":[{"name":"info","type":1,"options":"plugin"}]}"""), "\"data.options[0].options\" must be an array, got a string" },
        { Envelope(4, """{"name":"hello","options":[{"name":"who","type":3,"value":"a","focused":"yes"}]}"""), "\"data.options[0].focused\" must be a boolean" },
        { Envelope(2, """{"name":"hello","resolved":[]}"""), "\"data.resolved\" must be an object, got an array" },
        { Envelope(3, """{"component_type":2}"""), "\"data.custom_id\" is required" },
        { Envelope(3, """{"custom_id":7,"component_type":2}"""), "\"data.custom_id\" must be a string, got the number 7" },
        { Envelope(3, """{"custom_id":"x","component_type":"button"}"""), "\"data.component_type\" must be an integer, got a string" },
        { Envelope(3, """{"custom_id":"x","component_type":3,"values":"a"}"""), "\"data.values\" must be an array, got a string" },
        { Envelope(3, """{"custom_id":"x","component_type":3,"values":[1]}"""), "\"data.values[0]\" must be a string" },
        { Envelope(3, """{"custom_id":"x","component_type":2}""", ""","message":{"id":5}"""), "\"message.id\" must be a string" },
        { Envelope(3, """{"custom_id":"x","component_type":2}""", ""","message":"5" """), "\"message\" must be an object" },
        { Envelope(5, """{"custom_id":"x","components":{"type":1}}"""), "\"data.components\" must be an array, got an object" },
        { Envelope(5, """{"custom_id":"x","components":[{"type":1,"components":[{"type":4,"custom_id":"f","value":3}]}]}"""), "\"data.components[0].components[0].value\" must be a string" },
        { Envelope(5, """{"custom_id":"x","components":[{"type":18,"component":[{"custom_id":"f"}]}]}"""), "\"data.components[0].component\" must be an object, got an array" },
        { Envelope(5, """{"custom_id":"x","components":[{"type":18,"component":{"custom_id":"f","values":[true]}}]}"""), "\"data.components[0].component.values[0]\" must be a string" },
        { """{"id":"1","application_id":"11","type":2,"type":1,"token":"t"}""", "Duplicate property 'type'" },
        { """[{"type":1}]""", "must be a JSON object, got an array" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Post_SignedButMalformed_Returns400NamingTheField(string body, string reason)
    {
        var (status, answer) = await PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, answer!["error"]!.GetValue<string>());
    }

    /// <summary>Where in a JSON tree: the path of every value, objects and arrays included.</summary>
    private static List<List<object>> Paths(JsonNode? node, List<object> at)
    {
        var paths = new List<List<object>>();
        switch (node)
        {
            case JsonObject json:
                foreach (var (name, value) in json)
                {
                    var path = new List<object>(at) { name };
                    paths.Add(path);
                    paths.AddRange(Paths(value, path));
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var path = new List<object>(at) { i };
                    paths.Add(path);
                    paths.AddRange(Paths(array[i], path));
                }
                break;
        }
        return paths;
    }

    /// <summary>A value of each JSON type; a field is replaced with one of another type than its own.</summary>
    private static readonly string[] Replacements = ["\"\"", "\"x\"", "\"123\"", "0", "-1", "3.5", "1e300", "99999999999999999999", "true", "false", "null", "{}", "{\"id\":\"1\"}", "[]", "[1,\"a\"]"];

    private static string Mutate(string body, int pathIndex, int replacementIndex)
    {
        var json = JsonNode.Parse(body)!;
        var paths = Paths(json, []);
        var path = paths[pathIndex % paths.Count];
        var parent = path.Take(path.Count - 1).Aggregate(json, (node, step) => step is string name ? node[name]! : node[(int)step]!);
        var current = path[^1] is string key ? parent[key] : parent[(int)path[^1]];
        var kind = current?.GetValueKind() ?? JsonValueKind.Null;
        var candidates = Replacements.Where(r => JsonNode.Parse(r)?.GetValueKind() is var k && Kind(k ?? JsonValueKind.Null) != Kind(kind)).ToArray();
        var replacement = JsonNode.Parse(candidates[replacementIndex % candidates.Length]);
        if (path[^1] is string field)
        {
            parent[field] = replacement;
        }
        else
        {
            parent[(int)path[^1]] = replacement;
        }
        return json.ToJsonString();
    }

    private static JsonValueKind Kind(JsonValueKind kind) => kind == JsonValueKind.False ? JsonValueKind.True : kind;

    [Fact]
    public void Post_AnyFieldReplacedByAnotherJsonType_NeverAServerError()
    {
        var mutations =
            from body in Gen.Elements(Valid)
            from pathIndex in Gen.Choose(0, 1000)
            from replacementIndex in Gen.Choose(0, Replacements.Length)
            select Mutate(body, pathIndex, replacementIndex);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), Prop.ForAll(mutations.ToArbitrary(), body =>
        {
            var (status, answer) = Task.Run(() => PostAsync(body)).GetAwaiter().GetResult();
            Assert.True((int)status < 500, $"{(int)status} for {body}: {answer?.ToJsonString()}");
            Assert.True(status != HttpStatusCode.BadRequest || answer?["error"]?.GetValue<string>() is { Length: > 0 }, $"400 without a reason for {body}");
        }));
    }
}
