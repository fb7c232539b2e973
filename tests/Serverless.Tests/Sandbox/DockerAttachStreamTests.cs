using System.Text;
using Serverless.Functions.Sandbox;

namespace Serverless.Tests.Sandbox;

public sealed class DockerAttachStreamTests
{
    [Fact]
    public async Task ReadAsync_FramesSplitAcrossReads_DemultiplexesByStream()
    {
        var wire = Frames((1, "hello "), (2, "oops\n"), (1, "world\n"), (1, ""), (2, "again"));
        // Part of the first frame arrived with the HTTP headers; the rest trickles in byte by byte.
        await using var attach = new DockerAttachStream(new TrickleStream(wire[5..]), wire[..5], multiplexed: true);

        var (stdout, stderr) = await ReadAllAsync(attach);

        Assert.Equal("hello world\n", stdout);
        Assert.Equal("oops\nagain", stderr);
    }

    [Fact]
    public async Task ReadAsync_FrameLargerThanBuffer_ComesInBoundedChunks()
    {
        var big = new string('x', 100_000);
        await using var attach = new DockerAttachStream(new MemoryStream(Frames((1, big))), ReadOnlyMemory<byte>.Empty, multiplexed: true, bufferSize: 1024);

        var largest = 0;
        var total = 0;
        while (await attach.ReadAsync(TestContext.Current.CancellationToken) is { } chunk)
        {
            Assert.Equal(DockerStreamType.Stdout, chunk.Stream);
            largest = Math.Max(largest, chunk.Payload.Length);
            total += chunk.Payload.Length;
        }
        Assert.Equal(big.Length, total);
        Assert.True(largest <= 1024);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsInsideFrame_ThrowsIOException()
    {
        var wire = Frames((1, "truncated payload"));
        await using var attach = new DockerAttachStream(new MemoryStream(wire[..12]), ReadOnlyMemory<byte>.Empty, multiplexed: true);
        await attach.ReadAsync(TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<IOException>(async () => await attach.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReadAsync_GarbageHeader_ThrowsIOException()
    {
        await using var attach = new DockerAttachStream(new MemoryStream("HTTP/1.1 500 oops\r\n"u8.ToArray()), ReadOnlyMemory<byte>.Empty, multiplexed: true);
        await Assert.ThrowsAsync<IOException>(async () => await attach.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReadAsync_TtyMode_PassesBytesThroughAsStdout()
    {
        await using var attach = new DockerAttachStream(new MemoryStream("raw\n"u8.ToArray()), "pre "u8.ToArray(), multiplexed: false);
        var (stdout, stderr) = await ReadAllAsync(attach);
        Assert.Equal("pre raw\n", stdout);
        Assert.Equal("", stderr);
    }

    private static async Task<(string Stdout, string Stderr)> ReadAllAsync(DockerAttachStream attach)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        while (await attach.ReadAsync(TestContext.Current.CancellationToken) is { } chunk)
        {
            (chunk.Stream == DockerStreamType.Stderr ? stderr : stdout).Append(Encoding.UTF8.GetString(chunk.Payload.Span));
        }
        return (stdout.ToString(), stderr.ToString());
    }

    private static byte[] Frames(params (byte Stream, string Text)[] frames)
    {
        var wire = new MemoryStream();
        foreach (var (stream, text) in frames)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            wire.Write([stream, 0, 0, 0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length]);
            wire.Write(payload);
        }
        return wire.ToArray();
    }

    /// <summary>Returns at most one byte per read, like a slow socket.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
