using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Sandbox;
using ContainerSpec = Serverless.Platform.Sandbox.ContainerSpec;

namespace Serverless.Tests.Sandbox;

/// <summary>The Docker driver on the real engine: what the container gets, its stdio over the attach stream, and engine failures as users read them.</summary>
[Collection("Docker")]
public sealed class DockerSandboxDriverTests(DockerFixture docker)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ContainerSpec_CreatedOnTheEngine_EngineAppliesEveryFlag()
    {
        docker.Require();
        var created = await docker.Client.Containers.CreateContainerAsync(ContainerSpec.Build(SandboxScript.Spec("pass"), docker.Options), Ct);
        try
        {
            var container = await docker.Client.Containers.InspectContainerAsync(created.ID, Ct);
            var host = container.HostConfig;
            Assert.Equal("none", host.NetworkMode);
            Assert.True(container.Config.NetworkDisabled);
            Assert.True(host.ReadonlyRootfs);
            Assert.Equal(["ALL"], host.CapDrop);
            Assert.Equal(["no-new-privileges"], host.SecurityOpt);
            Assert.Equal(64, host.PidsLimit);
            Assert.Equal(256 * SandboxLimits.MiB, host.Memory);
            Assert.Equal(host.Memory, host.MemorySwap);
            Assert.Equal(500_000_000, host.NanoCPUs);
            Assert.Contains(host.Ulimits, u => u is { Name: "nofile", Soft: 256, Hard: 256 });
            Assert.Contains(host.Ulimits, u => u is { Name: "fsize", Soft: 10 * SandboxLimits.MiB });
            Assert.Contains(host.Ulimits, u => u is { Name: "core", Soft: 0, Hard: 0 });
            Assert.StartsWith("rw,noexec,nosuid,nodev,size=16777216", host.Tmpfs["/tmp"]);
            Assert.Equal("private", host.IpcMode);
            Assert.Equal(SandboxLimits.MiB, host.ShmSize);
            Assert.Equal("none", host.LogConfig.Type);
            Assert.False(host.AutoRemove);
            Assert.False(host.Privileged);
            Assert.Equal("10001:10001", container.Config.User);
            Assert.Equal(docker.PlatformName, container.Config.Labels[ContainerSpec.PlatformLabel]);
        }
        finally
        {
            await docker.Client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, Ct);
        }
    }

    [Fact]
    public async Task RunnerImage_BuiltByBuildImage_CarriesInputsHashAndSandboxUser()
    {
        docker.Require();
        var image = await docker.Client.Images.InspectImageAsync(DockerSandboxOptions.DefaultImage, Ct);
        Assert.Matches("^[0-9a-f]{64}$", image.Config.Labels["org.serverless.sandbox.inputs-hash"]);
        Assert.Equal("10001:10001", image.Config.User);
        Assert.True(await docker.Client.ImageExistsAsync(DockerSandboxOptions.DefaultImage, Ct));
        Assert.False(await docker.Client.ImageExistsAsync("serverless-no-such-image:never", Ct));
    }

    [Fact]
    public async Task Attach_EchoScript_StdoutAndStderrApartAndClosingStdinIsEndOfInput()
    {
        docker.Require();
        // The plugin reads to the end of its stdin: it only ends because closing our side reaches it (StdinOnce).
        var spec = SandboxScript.Spec("import sys\nfor line in sys.stdin:\n    print('out:' + line.strip())\n    print('err:' + line.strip(), file=sys.stderr)\nsys.exit(3)");
        var created = await docker.Client.Containers.CreateContainerAsync(ContainerSpec.Build(spec, docker.Options), Ct);
        try
        {
            using var attach = await docker.Client.Containers.AttachContainerAsync(
                created.ID, tty: false, new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true }, Ct);
            await docker.Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), Ct);
            var input = "hello\nworld\n"u8.ToArray();
            await attach.WriteAsync(input, 0, input.Length, Ct);
            attach.CloseWrite();

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(30));
            (string stdout, string stderr) = await attach.ReadOutputToEndAsync(deadline.Token);
            var waited = await docker.Client.Containers.WaitContainerAsync(created.ID, deadline.Token);

            Assert.Equal("out:hello\nout:world\n", stdout);
            Assert.Equal("err:hello\nerr:world\n", stderr);
            Assert.Equal(3, waited.StatusCode);
        }
        finally
        {
            await docker.Client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, Ct);
        }
    }

    [Fact]
    public async Task StartWorkerAsync_LongRunningWorker_ServesManyLinesThenDisposeKillsAndRemoves()
    {
        docker.Require();
        var spec = SandboxScript.Spec("import sys\nfor line in sys.stdin:\n    print('echo', line.strip(), flush=True)\n    print('seen', line.strip(), file=sys.stderr, flush=True)");
        var worker = await docker.Driver.StartWorkerAsync(spec, Ct);
        try
        {
            await using var lines = worker.ReadLinesAsync(Ct).GetAsyncEnumerator(Ct);
            // A warm worker takes one invocation after another over the same stdin.
            for (var i = 0; i < 200; i++)
            {
                using var invocation = worker.BeginInvocation();
                await worker.WriteLineAsync($"line {i}", Ct);
                Assert.True(await lines.MoveNextAsync());
                Assert.Equal($"echo line {i}", lines.Current);
            }
            var log = worker.DrainLog();
            Assert.Equal("seen line 0", log[0]);
            Assert.False(worker.HasExited);
        }
        finally
        {
            await worker.DisposeAsync();
        }
        var exit = await worker.WaitAsync(Ct);
        Assert.Equal(SandboxExitReason.Stopped, exit.Reason);
        Assert.False(await docker.ExistsAsync(worker.Id));
        await Assert.ThrowsAsync<SandboxWorkerExitedException>(() => worker.WriteLineAsync("too late", Ct));
    }

    [Fact]
    public async Task StartWorkerAsync_MissingImage_EngineExceptionInDockersWords()
    {
        docker.Require();
        var driver = new DockerSandboxDriver(docker.Client, docker.Options with { Image = "serverless-no-such-image:never" }, NullLogger<DockerSandboxDriver>.Instance);

        var error = await Assert.ThrowsAsync<DockerEngineException>(() => driver.StartWorkerAsync(SandboxScript.Spec("pass"), Ct));

        Assert.Equal(404, error.Status);
        Assert.StartsWith("POST containers/create: No such image: serverless-no-such-image:never", error.Message);
    }

    [Fact]
    public async Task StartWorkerAsync_NoEngine_EngineExceptionSaysItCannotBeReached()
    {
        const string host = "unix:///tmp/no-such-docker.sock";
        using var client = DockerEngine.CreateClient(host);
        var driver = new DockerSandboxDriver(client, new DockerSandboxOptions { PlatformName = "none", DockerHost = host }, NullLogger<DockerSandboxDriver>.Instance);

        var start = await Assert.ThrowsAsync<DockerEngineException>(() => driver.StartWorkerAsync(SandboxScript.Spec("pass"), Ct));
        var recover = await Assert.ThrowsAsync<DockerEngineException>(() => driver.RemoveLeftoversAsync(Ct));

        Assert.Equal(0, start.Status);
        Assert.StartsWith($"cannot reach the Docker engine at {host}: ", start.Message);
        Assert.DoesNotContain("Connection failed", start.Message);
        Assert.StartsWith($"cannot reach the Docker engine at {host}: ", recover.Message);
    }

    [Theory]
    [InlineData("/var/run/docker.sock")]
    [InlineData("ssh://box")]
    [InlineData("tcp://")]
    public void CreateClient_NotUnixOrTcp_ArgumentExceptionNamesBothForms(string host)
    {
        var error = Assert.Throws<ArgumentException>(() => DockerEngine.CreateClient(host));
        Assert.Contains($"DOCKER_HOST '{host}' is not unix:///path or tcp://host:port", error.Message);
    }

    [Fact]
    public void CreateClient_TcpHost_TalksToThatAddress()
    {
        using var client = DockerEngine.CreateClient("tcp://127.0.0.1:2375");
        Assert.Equal("tcp://127.0.0.1:2375", client.Host());
    }
}
