using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Sandbox;
using Serverless.Platform.Sandbox;
using Serverless.LocalHost;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Sandbox;

/// <summary>A clock the tests move forward, for token expiry.</summary>
public sealed class ManualClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + Offset;
}

/// <summary>
/// The Container Apps driver end to end on one machine: the app's callback routes on a real loopback
/// Kestrel port, ARM faked (<see cref="FakeArm"/>), and each started "execution" a real local process
/// running sandbox/job_runner.py with the env the start request carried, as the job would.
/// </summary>
public sealed class ContainerAppsRig : IAsyncDisposable
{
    private readonly WebApplication channel;
    private readonly ConcurrentQueue<Process> jobs = new();
    private readonly ConcurrentQueue<string> jobLog = new();

    private ContainerAppsRig(FakeArm arm, WebApplication channel, ContainerAppsSandboxDriver driver, ManualClock clock, Uri callbackUrl)
    {
        Arm = arm;
        this.channel = channel;
        Driver = driver;
        Clock = clock;
        CallbackUrl = callbackUrl;
    }

    public FakeArm Arm { get; }

    public ContainerAppsSandboxDriver Driver { get; }

    public ManualClock Clock { get; }

    /// <summary>http://127.0.0.1:PORT/api/sandbox</summary>
    public Uri CallbackUrl { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>What the job runners wrote on their stderr, for failure messages.</summary>
    public string JobLog => string.Join("\n", jobLog);

    public IReadOnlyList<Process> Jobs => jobs.ToList();

    public static async Task<ContainerAppsRig> StartAsync(bool runJobs = true, Func<ContainerAppsSandboxOptions, ContainerAppsSandboxOptions>? configure = null, SandboxLimits? limits = null)
    {
        var arm = await FakeArm.StartAsync();
        var clock = new ManualClock();
        ContainerAppsSandboxDriver? driver = null;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ISandboxDriver>(_ => driver!);
        var app = builder.Build();
        app.MapHttpFunctions([typeof(SandboxChannelFunctions)]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var callback = new Uri(address.TrimEnd('/') + "/api/sandbox");

        var options = new ContainerAppsSandboxOptions
        {
            JobResourceId = FakeArm.JobResourceId,
            CallbackUrl = callback,
            ManagementEndpoint = arm.Endpoint,
            StartTimeout = TimeSpan.FromSeconds(30),
            PollTimeout = TimeSpan.FromSeconds(2),
            StatusInterval = TimeSpan.FromMilliseconds(100),
            KillGrace = TimeSpan.FromSeconds(3),
            ContactTimeout = TimeSpan.FromSeconds(15),
            Limits = limits ?? SandboxLimits.Default,
        };
        options = configure?.Invoke(options) ?? options;
        var access = arm.Access();
        var jobsClient = new ContainerAppsJobsClient(options.JobResourceId, access.Credential, options.ManagementEndpoint, access.Options);
        driver = new ContainerAppsSandboxDriver(jobsClient, options, new SandboxWorkerTokens(clock), NullLogger<ContainerAppsSandboxDriver>.Instance);
        var rig = new ContainerAppsRig(arm, app, driver, clock, callback);
        if (runJobs)
        {
            arm.OnStart = execution =>
            {
                rig.RunJob(execution);
                return Task.CompletedTask;
            };
        }
        return rig;
    }

    /// <summary>A plugin folder holding <paramref name="pluginPy"/> as plugin.py, readable as PluginFiles would leave it.</summary>
    public static string PluginDirectory(string pluginPy, IReadOnlyDictionary<string, string>? more = null)
    {
        var directory = Directory.CreateTempSubdirectory("ca-plugin-").FullName;
        File.WriteAllText(Path.Combine(directory, "plugin.py"), pluginPy);
        foreach (var (name, content) in more ?? new Dictionary<string, string>())
        {
            var path = Path.Combine(directory, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        return directory;
    }

    /// <summary>Waits until every job process has ended; false if one is still running at the deadline.</summary>
    public async Task<bool> JobsEndedAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            foreach (var job in jobs)
            {
                await job.WaitForExitAsync(timeout.Token);
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var job in jobs)
        {
            try
            {
                if (!job.HasExited)
                {
                    job.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
        await channel.DisposeAsync();
        await Arm.DisposeAsync();
        Http.Dispose();
    }

    private void RunJob(ArmExecution execution)
    {
        var start = new ProcessStartInfo("python3", [Path.Combine(RepoPaths.Root, "sandbox", "job_runner.py")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // A job container's environment is only what the job defines plus the execution's overrides.
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
        start.Environment["PYTHONPATH"] = Path.Combine(RepoPaths.Root, "sandbox", "sdk");
        foreach (var (name, value) in execution.RunnerEnvironment)
        {
            start.Environment[name] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                jobLog.Enqueue($"{execution.Name}: {e.Data}");
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                jobLog.Enqueue($"{execution.Name} (stdout): {e.Data}");
            }
        };
        process.Exited += (_, _) => Arm.SetStatus(execution.Name, process.ExitCode == 0 ? "Succeeded" : "Failed");
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        jobs.Enqueue(process);
    }
}
