using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Hosting;

/// <summary>
/// The app as the Functions host runs it: <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set, so the host owns the
/// triggers and the app serves their routes, on a real Kestrel socket the app binds itself (loopback), called
/// the way the host calls it: <c>POST http://127.0.0.1:{port}/{function}</c>.
/// </summary>
public sealed class FunctionsHostApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private FunctionsHostApp(WebApplicationFactory<Program> factory, int port)
    {
        _factory = factory;
        Host = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}") };
    }

    /// <summary>What the Functions host calls the handler with: a loopback connection to the handler port.</summary>
    public HttpClient Host { get; }

    public static FunctionsHostApp Start(Action<IWebHostBuilder> configure)
    {
        var port = FreePorts.Next();
        var factory = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("FUNCTIONS_CUSTOMHANDLER_PORT", port.ToString(CultureInfo.InvariantCulture));
            configure(builder);
        });
        // A real socket: Kestrel listens where the app's own handler-port rule says (127.0.0.1:{port}).
        factory.UseKestrel();
        factory.StartServer();
        return new FunctionsHostApp(factory, port);
    }

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        await _factory.DisposeAsync();
    }
}
