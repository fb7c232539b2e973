using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Portal;
using Serverless.Platform.Portal;
using Serverless.LocalHost;

namespace Serverless.Tests.Portal;

/// <summary>The portal function on its own, mapped as the local host maps it: the files, their headers, and both paths.</summary>
public sealed class PortalEndpointsTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddPortal();
        _app = builder.Build();
        _app.MapHttpFunctions([typeof(PortalFunction)]);
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("/portal/")]
    [InlineData("/api/portal/")]
    public async Task Index_BothPrefixes_ServesThePageWithAStrictPolicy(string path)
    {
        using var response = await _http.GetAsync(path, TestContext.Current.CancellationToken);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<script src=\"portal.js\"", html);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [InlineData("/portal", "/portal/")]
    [InlineData("/api/portal", "/api/portal/")]
    public async Task NoTrailingSlash_RedirectsSoRelativeLinksResolve(string path, string location)
    {
        using var response = await _http.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(location, response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("portal.js", "text/javascript")]
    [InlineData("portal.css", "text/css")]
    public async Task Asset_KnownFile_ServedWithItsTypeAndRevalidated(string file, string type)
    {
        using var first = await _http.GetAsync("/portal/" + file, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(type, first.Content.Headers.ContentType!.MediaType);
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/portal/" + file);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Theory]
    [InlineData("/portal/nope.js")]
    [InlineData("/portal/../Serverless.Functions.dll")]
    public async Task Asset_Unknown_NotFound(string path)
    {
        using var response = await _http.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void Script_NeverWritesHtmlFromStrings()
    {
        // Plugin descriptions, error messages and log lines are untrusted: text nodes only.
        var script = new PortalAssets().Find("portal.js")!;
        var text = System.Text.Encoding.UTF8.GetString(script.Content);

        Assert.DoesNotContain("innerHTML", text);
        Assert.DoesNotContain("insertAdjacentHTML", text);
        Assert.DoesNotContain("document.write", text);
    }
}
