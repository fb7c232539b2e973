using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Platform.Sandbox;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Sandbox;

public sealed class ContainerAppsWiringTests(Azurite azurite)
{
    [Fact]
    public void Tokens_OnlyTheirOwnUnexpiredWorker_Validate()
    {
        var clock = new ManualClock();
        var tokens = new SandboxWorkerTokens(clock);
        var token = tokens.Issue("caw-1", TimeSpan.FromMinutes(2));
        var parts = token.Split('.');

        Assert.True(tokens.Validate("caw-1", token));
        Assert.False(tokens.Validate("caw-2", token));
        Assert.False(tokens.Validate("caw-1", null));
        Assert.False(tokens.Validate("caw-1", ""));
        Assert.False(tokens.Validate("caw-1", "v1.x.y"));
        Assert.False(tokens.Validate("caw-1", $"v1.{long.Parse(parts[1]) + 3600}.{parts[2]}"));
        Assert.False(tokens.Validate("caw-1", $"{parts[0]}.{parts[1]}.{parts[2][..^2]}"));
        Assert.False(tokens.Validate("caw-1", $"v2.{parts[1]}.{parts[2]}"));
        Assert.False(new SandboxWorkerTokens(clock).Validate("caw-1", token));
        clock.Offset = TimeSpan.FromMinutes(3);
        Assert.False(tokens.Validate("caw-1", token));
    }

    [Fact]
    public void AddSandbox_UnknownDriver_ThrowsNamingTheChoices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SANDBOX_DRIVER"] = "kubernetes" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSandbox(configuration));

        Assert.Contains("'docker' or 'containerapps'", error.Message);
    }

    [Fact]
    public void AddSandbox_ContainerAppsWithoutJobOrCallback_ReportsBoth()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SANDBOX_DRIVER"] = "containerapps" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSandbox(configuration));

        Assert.Contains("SANDBOX_JOB_RESOURCE_ID", error.Message);
        Assert.Contains("SANDBOX_CALLBACK_URL", error.Message);
    }

    [Fact]
    public void Options_CallbackFromWebsiteHostname()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SANDBOX_JOB_RESOURCE_ID"] = FakeArm.JobResourceId,
            ["WEBSITE_HOSTNAME"] = "func-test.azurewebsites.net",
        }).Build();

        var options = ContainerAppsSandboxOptions.FromConfiguration(configuration, new DockerSandboxOptions());

        Assert.Equal("https://func-test.azurewebsites.net/api/sandbox", options.CallbackUrl.ToString());
        Assert.Equal(ContainerAppsJobsClient.DefaultEndpoint, options.ManagementEndpoint);
    }

    [Fact]
    public async Task App_SandboxDriverContainerApps_HealthReportsDriverAndJob()
    {
        await using var arm = await FakeArm.StartAsync();
        await using var app = new TestApp().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            builder.UseSetting("LOCAL_TRIGGERS", "off");
            builder.UseSetting("SANDBOX_DRIVER", "containerapps");
            builder.UseSetting("SANDBOX_JOB_RESOURCE_ID", FakeArm.JobResourceId);
            builder.UseSetting("SANDBOX_CALLBACK_URL", "http://127.0.0.1:7071/api/sandbox");
            builder.UseSetting("SANDBOX_ARM_ENDPOINT", arm.Endpoint.ToString());
            builder.ConfigureTestServices(services => services.AddSingleton(arm.Access()));
        });
        using var http = app.CreateClient();

        var health = JsonNode.Parse(await http.GetStringAsync("/api/health", TestContext.Current.CancellationToken))!;
        var sandbox = health["checks"]!["sandbox"]!;

        Assert.Equal("container-apps", sandbox["driver"]!.GetValue<string>());
        Assert.Equal("healthy", sandbox["status"]!.GetValue<string>());
        Assert.Equal("caj-runner-test", sandbox["job"]!.GetValue<string>());
        Assert.IsType<ContainerAppsSandboxDriver>(app.Services.GetRequiredService<ISandboxDriver>());
        Assert.Contains(arm.Calls, c => c.Method == "GET" && c.Path == FakeArm.JobResourceId);

        arm.Fail("get-job", 403, "AuthorizationFailed", "no read on the job");
        using var unhealthy = await http.GetAsync("/api/health", TestContext.Current.CancellationToken);
        var failed = JsonNode.Parse(await unhealthy.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["checks"]!["sandbox"]!;
        Assert.Equal("unhealthy", failed["status"]!.GetValue<string>());
        Assert.Contains("403 AuthorizationFailed", failed["detail"]!.GetValue<string>());
    }
}
