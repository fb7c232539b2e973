using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Platform.Hosting;
using Serverless.LocalHost;

namespace Serverless.Tests.Infrastructure;

/// <summary>
/// The function app as every test hosts it (use it wherever a test would write
/// <c>new WebApplicationFactory&lt;Program&gt;()</c>; <c>TestHostIsolationTests</c> fails on any other). Its settings are
/// the test's <c>UseSetting</c> values and nothing else: the developer's environment and local.settings.json
/// are ignored (<see cref="PlatformSettings.CommandLineOnlySwitch"/>), so an exported real
/// <c>AzureWebJobsStorage</c>, bot token or stack name never reaches a test. Unless the test names one, the
/// stack is this test run's own, so its crash recovery and plugin cache touch nothing of a running stack.
/// Their triggers share one host id per test run (<see cref="HostId"/>), so the blob scanner's cursor and receipts
/// carry over from host to host: a host starting late in the run does not judge again every upload in the shared
/// Azurite. Hosts with triggers on take turns (the Docker collection), and each releases the timer's and the
/// scanner's locks when it stops.
/// </summary>
public class TestApp : WebApplicationFactory<Program>
{
    /// <summary>The stack of every test host that names none.</summary>
    public static string DefaultStack { get; } = "tests-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The triggers' host id of every test host that names none.</summary>
    public static string HostId { get; } = "tests-" + Guid.NewGuid().ToString("N")[..12];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(PlatformSettings.CommandLineOnlySwitch, "true");
        builder.UseSetting(PlatformSettings.StackNameKey, DefaultStack);
        builder.UseSetting(LocalHostRegistration.HostIdSetting, HostId);
    }

    /// <summary>The setting that stops one function's trigger, as under the Functions host (for tests that run that function themselves).</summary>
    public static string Disabled(string function) => $"AzureWebJobs.{function}.Disabled";

    /// <summary>
    /// A partial host (one feature's services and endpoints) under the same rule: its configuration is
    /// <paramref name="settings"/> and nothing from the machine.
    /// </summary>
    public static WebApplicationBuilder CreateSlimBuilder(IReadOnlyDictionary<string, string?> settings)
    {
        string[] args =
        [
            $"--{PlatformSettings.CommandLineOnlySwitch}=true",
            .. settings.Where(setting => setting.Value is not null).Select(setting => $"--{setting.Key}={setting.Value}"),
        ];
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddPlatformSettings(builder.Environment.ContentRootPath, args);
        return builder;
    }
}
