using Microsoft.Extensions.Configuration;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

public sealed class ContainerSpecTests
{
    private static readonly DockerSandboxOptions Options = new() { PlatformName = "unit" };

    [Fact]
    public void Build_DefaultLimits_SetsEveryHardeningFlag()
    {
        var request = ContainerSpec.Build(new SandboxWorkerSpec("acme.dice", "1.2.0", "guild-1"), Options);
        var host = request.HostConfig;

        Assert.Equal("serverless-sandbox-runner:latest", request.Image);
        Assert.Equal(["python3", "-m", "serverless_sdk.runner", "--plugin-dir", "/plugin"], request.Cmd);
        Assert.Equal("10001:10001", request.User);
        Assert.Equal("/plugin", request.WorkingDir);
        Assert.True(request.NetworkDisabled);
        Assert.True(request.AttachStdin && request.AttachStdout && request.AttachStderr);
        Assert.True(request.OpenStdin && request.StdinOnce && !request.Tty);
        Assert.Empty(request.Env);
        Assert.Equal("none", host.NetworkMode);
        Assert.True(host.ReadonlyRootfs);
        Assert.Equal("rw,noexec,nosuid,nodev,size=16777216,mode=1777", host.Tmpfs["/tmp"]);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Null(host.CapAdd);
        // Docker's default seccomp profile applies unless a security option names another one.
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.False(host.Privileged);
        Assert.Equal(64, host.PidsLimit);
        Assert.Equal(256 * SandboxLimits.MiB, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(500_000_000, host.NanoCPUs);
        Assert.Equal(
            [("nofile", 256L, 256L), ("fsize", 10 * SandboxLimits.MiB, 10 * SandboxLimits.MiB), ("nproc", 4096L, 4096L), ("core", 0L, 0L)],
            host.Ulimits.Select(u => (u.Name, u.Soft, u.Hard)));
        Assert.Equal("private", host.IpcMode);
        Assert.Equal(1 * SandboxLimits.MiB, host.ShmSize);
        Assert.Null(host.Binds);
        Assert.Null(host.Mounts);
        Assert.False(host.AutoRemove);
        Assert.Equal("none", host.LogConfig.Type);
        Assert.Equal("unit", request.Labels[ContainerSpec.PlatformLabel]);
        Assert.Equal(HostInstance.Current.Label, request.Labels[ContainerSpec.OwnerLabel]);
        Assert.Equal("acme.dice", request.Labels[ContainerSpec.PluginLabel]);
        Assert.Equal("1.2.0", request.Labels[ContainerSpec.VersionLabel]);
        Assert.Equal("guild-1", request.Labels[ContainerSpec.InstallLabel]);
    }

    [Fact]
    public void Build_SpecLimitsAndEnvironment_OverrideTheDefaults()
    {
        var limits = SandboxLimits.Default with { MemoryBytes = 64 * SandboxLimits.MiB, Cpus = 1.5, Pids = 16, OpenFiles = 32, FileSizeBytes = SandboxLimits.MiB, TmpfsBytes = 2 * SandboxLimits.MiB };
        var spec = new SandboxWorkerSpec("a.b", "1.0.0", "i") { Limits = limits, Environment = new Dictionary<string, string> { ["PLUGIN_ID"] = "a.b" } };

        var request = ContainerSpec.Build(spec, Options);
        var host = request.HostConfig;

        Assert.Equal(["PLUGIN_ID=a.b"], request.Env);
        Assert.Equal(64 * SandboxLimits.MiB, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(1_500_000_000, host.NanoCPUs);
        Assert.Equal(16, host.PidsLimit);
        Assert.Contains(host.Ulimits, u => u is { Name: "nofile", Soft: 32, Hard: 32 });
        Assert.Contains(host.Ulimits, u => u is { Name: "fsize", Soft: SandboxLimits.MiB, Hard: SandboxLimits.MiB });
        Assert.Equal("rw,noexec,nosuid,nodev,size=2097152,mode=1777", host.Tmpfs["/tmp"]);
    }

    [Fact]
    public void Build_PluginDirectory_IsTheOnlyMountAndReadOnly()
    {
        var directory = Directory.CreateTempSubdirectory("spec-");
        try
        {
            var request = ContainerSpec.Build(new SandboxWorkerSpec("a.b", "1.0.0", null) { PluginDirectory = directory.FullName }, Options);
            Assert.Equal([$"{directory.FullName}:/plugin:ro"], request.HostConfig.Binds);
            Assert.False(request.Labels.ContainsKey(ContainerSpec.InstallLabel));
        }
        finally
        {
            directory.Delete();
        }
    }

    [Fact]
    public void Build_InvalidSpec_ReportsEveryProblem()
    {
        var spec = new SandboxWorkerSpec("", "1.0.0", "i")
        {
            PluginDirectory = "relative/dir",
            Environment = new Dictionary<string, string> { ["AzureWebJobsStorage"] = "secret", ["DISCORD_BOT_TOKEN"] = "secret", ["PLUGIN_ID"] = "ok" },
            Limits = SandboxLimits.Default with { Pids = 1, WallTime = TimeSpan.Zero },
        };

        var error = Assert.Throws<ArgumentException>(() => ContainerSpec.Build(spec, Options));

        Assert.Contains("PluginId is required", error.Message);
        Assert.Contains("'AzureWebJobsStorage' is not on the sandbox allow-list", error.Message);
        Assert.Contains("'DISCORD_BOT_TOKEN' is not on the sandbox allow-list", error.Message);
        Assert.DoesNotContain("'PLUGIN_ID'", error.Message);
        Assert.Contains("must be an absolute path", error.Message);
        Assert.Contains("Pids must be at least 4", error.Message);
        Assert.Contains("WallTime must be positive", error.Message);
    }

    [Fact]
    public void FromConfiguration_Settings_OverrideDefaultsAndCollectErrors()
    {
        var good = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DOCKER_HOST"] = "unix:///run/other.sock",
            ["SANDBOX_WALL_TIME_SECONDS"] = "2.5",
            ["SANDBOX_MEMORY_MB"] = "128",
            ["SANDBOX_CPUS"] = "1",
            ["SANDBOX_POOL_MODE"] = "per-version",
        }).Build();
        var options = DockerSandboxOptions.FromConfiguration(good);
        Assert.Equal("unix:///run/other.sock", options.DockerHost);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.Limits.WallTime);
        Assert.Equal(128 * SandboxLimits.MiB, options.Limits.MemoryBytes);
        Assert.Equal(1.0, options.Limits.Cpus);
        Assert.Equal(SandboxPoolMode.PerVersion, SandboxPoolOptions.FromConfiguration(good).Mode);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SANDBOX_MEMORY_MB"] = "lots",
            ["SANDBOX_PIDS"] = "0",
        }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => DockerSandboxOptions.FromConfiguration(bad));
        Assert.Contains("SANDBOX_MEMORY_MB", error.Message);
        Assert.Contains("SANDBOX_PIDS", error.Message);
    }
}
