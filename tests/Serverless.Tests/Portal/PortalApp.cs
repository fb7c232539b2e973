using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Cli;
using Serverless.Platform.Events;
using Serverless.Platform.Portal;
using Serverless.Tests.Cli;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Portal;

/// <summary>
/// The whole app on a real Kestrel port (a browser cannot talk to an in-memory test server), on Azurite
/// and Docker, with local triggers (the blob trigger publishes, the queue trigger dispatches) and Discord
/// calls going to the local recorder, exactly as under local/up. The interaction key pair is made by
/// openssl like local/up makes it, so <c>invoke</c> reads a real PEM file.
/// </summary>
public sealed class PortalApp : IAsyncDisposable
{
    public const string AdminKey = "portal-e2e-admin-key";
    public const string EventsSecret = "portal-e2e-events-secret-0123456789";

    private readonly WebApplicationFactory<Program> _factory;
    private readonly string _directory;

    private PortalApp(WebApplicationFactory<Program> factory, string baseUrl, string directory, string keyFile)
    {
        _factory = factory;
        BaseUrl = baseUrl;
        _directory = directory;
        KeyFile = keyFile;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        Http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public string BaseUrl { get; }

    /// <summary>The dev private key (PEM PKCS#8) whose public key the app verifies with.</summary>
    public string KeyFile { get; }

    /// <summary>Admin API client (key set).</summary>
    public HttpClient Http { get; }

    public static async Task<PortalApp> StartAsync(Azurite azurite, DockerFixture docker)
    {
        var directory = Directory.CreateTempSubdirectory("portal-e2e-").FullName;
        var keyFile = Path.Combine(directory, "discord-dev-key.pem");
        await RunAsync("openssl", "genpkey", "-algorithm", "ed25519", "-out", keyFile);
        string publicKey;
        using (var devKey = DevSigningKey.Load(new CliConsole(TextWriter.Null, TextWriter.Null, false, false, _ => null, directory), keyFile))
        {
            publicKey = devKey.PublicKeyHex;
        }
        var port = FreePorts.Next();
        var baseUrl = $"http://127.0.0.1:{port}";
        var factory = new TestApp().WithWebHostBuilder(b =>
        {
            b.UseSetting("urls", baseUrl);
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
            b.UseSetting("PLUGIN_CACHE_DIR", Path.Combine(directory, "cache"));
            b.UseSetting("DISCORD_PUBLIC_KEY", publicKey);
            b.UseSetting("ADMIN_API_KEY", AdminKey);
            b.UseSetting("INTERACTION_BUDGET_MS", "2000");
            b.UseSetting(EventsOptions.SecretSetting, EventsSecret);
            b.ConfigureServices(services => services.AddTransient<IStartupFilter, PortalUntilWired>());
        });
        factory.UseKestrel(port);
        factory.StartServer();
        var app = new PortalApp(factory, baseUrl, directory, keyFile);
        using var health = await app.Http.GetAsync("/api/health");
        return app;
    }

    /// <summary>Publishes through the admin upload endpoint and waits for the report.</summary>
    public async Task<JsonObject> PublishAsync(string publisher, string name, byte[] zip)
    {
        using var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new("application/zip");
        using var upload = await Http.PostAsync($"/api/admin/uploads/{publisher}/{name}", content);
        var accepted = (await upload.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(upload.IsSuccessStatusCode, accepted.ToJsonString());
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            using var report = await Http.GetAsync(accepted["report"]!.GetValue<string>());
            if (report.IsSuccessStatusCode)
            {
                return (await report.Content.ReadFromJsonAsync<JsonObject>())!;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"no report for {publisher}/{name} within 90 s");
    }

    /// <summary>A CLI run aimed at this app: its URL and admin key in the environment, nothing else.</summary>
    public CliRun Cli()
    {
        var cli = new CliRun();
        cli.Variables["APP_URL"] = BaseUrl;
        cli.Variables["ADMIN_API_KEY"] = AdminKey;
        cli.Variables["DEV_DISCORD_PRIVATE_KEY_FILE"] = KeyFile;
        cli.Variables[EventsOptions.SecretSetting] = EventsSecret;
        cli.Variables["LOCAL_STATE_DIR"] = Path.Combine(_directory, "no-state");
        return cli;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(" ", args)}: {error}");
    }

    /// <summary>
    /// Serves /portal/ in front of the app while Program.cs does not map it yet (the lead wires
    /// MapPortal); once it does, this steps aside and the app's own endpoint answers.
    /// </summary>
    private sealed class PortalUntilWired : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var assets = new PortalAssets();
            bool? wired = null;
            app.Use(async (context, nextMiddleware) =>
            {
                wired ??= context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints
                    .OfType<RouteEndpoint>().Any(e => e.RoutePattern.RawText?.StartsWith("/portal", StringComparison.Ordinal) == true);
                if (wired == false && context.Request.Path.StartsWithSegments("/portal", out var rest))
                {
                    await PortalEndpoints.Serve(context, rest.Value?.TrimStart('/'), assets).ExecuteAsync(context);
                    return;
                }
                await nextMiddleware(context);
            });
            next(app);
        };
    }
}
