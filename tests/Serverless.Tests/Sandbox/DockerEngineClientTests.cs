using System.Text;
using Serverless.Functions.Sandbox;

namespace Serverless.Tests.Sandbox;

[Collection("Docker")]
public sealed class DockerEngineClientTests(DockerFixture docker)
{
    [Fact]
    public async Task GetVersionAsync_RunningEngine_ReportsApiVersion()
    {
        docker.Require();
        var version = await docker.Client.GetVersionAsync(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(version.Version));
        Assert.True(Version.Parse(version.ApiVersion) >= new Version(1, 41), version.ApiVersion);
    }

    [Fact]
    public async Task InspectImageAsync_RunnerImage_CarriesInputsHashAndMissingImageIsNull()
    {
        docker.Require();
        var image = await docker.Client.InspectImageAsync(DockerSandboxOptions.DefaultImage, TestContext.Current.CancellationToken);
        Assert.NotNull(image);
        Assert.Matches("^[0-9a-f]{64}$", image.Config?.Labels?["org.serverless.sandbox.inputs-hash"] ?? "");
        Assert.Equal("10001:10001", image.Config?.User);
        Assert.Null(await docker.Client.InspectImageAsync("serverless-no-such-image:never", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AttachContainerAsync_EchoScript_DemultiplexesStdoutAndStderr()
    {
        docker.Require();
        var ct = TestContext.Current.CancellationToken;
        var request = ContainerSpec.Build(
            SandboxScript.Spec("import sys\nline = sys.stdin.readline()\nprint('out:' + line.strip())\nprint('err:' + line.strip(), file=sys.stderr)\nsys.exit(3)"),
            docker.Options);
        var created = await docker.Client.CreateContainerAsync(request, cancellationToken: ct);
        try
        {
            await using var attach = await docker.Client.AttachContainerAsync(created.Id, cancellationToken: ct);
            await docker.Client.StartContainerAsync(created.Id, ct);
            await attach.WriteAsync("hello\n"u8.ToArray(), ct);
            attach.CloseStdin();
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            while (await attach.ReadAsync(ct) is { } chunk)
            {
                (chunk.Stream == DockerStreamType.Stdout ? stdout : stderr).Append(Encoding.UTF8.GetString(chunk.Payload.Span));
            }
            var waited = await docker.Client.WaitContainerAsync(created.Id, ct);
            Assert.Equal("out:hello\n", stdout.ToString());
            Assert.Equal("err:hello\n", stderr.ToString());
            Assert.Equal(3, waited.StatusCode);

            var inspected = await docker.Client.InspectContainerAsync(created.Id, ct);
            Assert.False(inspected.State!.Running);
            Assert.Equal(3, inspected.State.ExitCode);
            var listed = await docker.Client.ListContainersAsync([$"{ContainerSpec.PlatformLabel}={docker.PlatformName}"], ct);
            Assert.Contains(listed, c => c.Id == created.Id);
        }
        finally
        {
            await docker.Client.RemoveContainerAsync(created.Id, force: true, ct);
        }
        var error = await Assert.ThrowsAsync<DockerEngineException>(() => docker.Client.InspectContainerAsync(created.Id, ct));
        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task CreateContainerAsync_HardenedSpec_EngineAppliesEveryFlag()
    {
        docker.Require();
        var ct = TestContext.Current.CancellationToken;
        var created = await docker.Client.CreateContainerAsync(ContainerSpec.Build(SandboxScript.Spec("pass"), docker.Options), cancellationToken: ct);
        try
        {
            var host = (await docker.Client.InspectContainerAsync(created.Id, ct)).HostConfig!;
            Assert.Equal("none", host.NetworkMode);
            Assert.True(host.ReadonlyRootfs);
            Assert.Equal(["ALL"], host.CapDrop!);
            Assert.Contains("no-new-privileges", host.SecurityOpt!);
            Assert.Equal(64, host.PidsLimit);
            Assert.Equal(256 * SandboxLimits.MiB, host.Memory);
            Assert.Equal(host.Memory, host.MemorySwap);
            Assert.Equal(500_000_000, host.NanoCpus);
            Assert.Contains(host.Ulimits!, u => u is { Name: "nofile", Soft: 256, Hard: 256 });
            Assert.Contains(host.Ulimits!, u => u is { Name: "fsize", Soft: 10 * SandboxLimits.MiB });
            Assert.StartsWith("rw,noexec,nosuid,nodev,size=16777216", host.Tmpfs!["/tmp"]);
            Assert.Equal("none", host.LogConfig!.Type);
            Assert.False(host.AutoRemove);
            Assert.False(host.Privileged);
        }
        finally
        {
            await docker.Client.RemoveContainerAsync(created.Id, force: true, ct);
        }
    }

    [Fact]
    public async Task PingAsync_NoSocket_ThrowsEngineExceptionWithStatusZero()
    {
        using var client = new DockerEngineClient("unix:///tmp/no-such-docker.sock");
        var error = await Assert.ThrowsAsync<DockerEngineException>(() => client.PingAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, error.Status);
    }
}
