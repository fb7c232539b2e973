using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Sandbox;

/// <summary>/api/health's sandbox check with the Docker driver: the engine's version and API version, or why it cannot be reached.</summary>
[Collection("Docker")]
public sealed class DockerHealthTests(DockerFixture docker, Azurite azurite)
{
    [Fact]
    public async Task Health_DockerEngineUp_ReportsEngineAndApiVersion()
    {
        docker.Require();
        var (status, sandbox) = await SandboxCheckAsync(docker.Options.DockerHost);

        var version = await docker.Client.System.GetVersionAsync(TestContext.Current.CancellationToken);
        Assert.True(status == HttpStatusCode.OK, sandbox.ToJsonString());
        Assert.Equal("healthy", sandbox["status"]!.GetValue<string>());
        Assert.Equal("docker", sandbox["driver"]!.GetValue<string>());
        Assert.Equal(version.Version, sandbox["engine"]!.GetValue<string>());
        Assert.Matches(@"^Docker engine \S+ \(API 1\.\d+\)$", sandbox["detail"]!.GetValue<string>());
        Assert.Equal($"Docker engine {version.Version} (API {version.APIVersion})", sandbox["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_NoDockerEngine_UnhealthySayingWhereItLooked()
    {
        var host = $"unix:///tmp/no-docker-{Guid.NewGuid():N}.sock";

        var (status, sandbox) = await SandboxCheckAsync(host);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unhealthy", sandbox["status"]!.GetValue<string>());
        Assert.StartsWith($"Docker engine unreachable at {host}: cannot reach the Docker engine at {host}: ", sandbox["detail"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Status, JsonNode Sandbox)> SandboxCheckAsync(string dockerHost)
    {
        await using var app = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            builder.UseSetting("LOCAL_TRIGGERS", "off");
            builder.UseSetting("DOCKER_HOST", dockerHost);
            builder.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
        });
        using var http = app.CreateClient();
        using var response = await http.GetAsync("/api/health", TestContext.Current.CancellationToken);
        var health = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        return (response.StatusCode, health["checks"]!["sandbox"]!);
    }
}
