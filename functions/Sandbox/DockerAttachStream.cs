using System.Buffers.Binary;

namespace Serverless.Functions.Sandbox;

public enum DockerStreamType
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
}

/// <summary>A piece of one output stream; <see cref="Payload"/> is valid until the next read.</summary>
public readonly record struct DockerOutputChunk(DockerStreamType Stream, ReadOnlyMemory<byte> Payload);

/// <summary>
/// The hijacked attach connection: write stdin, read output. Without a TTY Docker
/// multiplexes stdout and stderr in frames of an 8-byte header (stream type, three
/// zero bytes, big-endian payload length) and the payload. Frames are handed out in
/// chunks of at most the buffer size, so a huge frame never means a huge allocation.
/// </summary>
public sealed class DockerAttachStream : IAsyncDisposable
{
    private const int HeaderSize = 8;
    private readonly Stream stream;
    private readonly Action? closeWrite;
    private readonly byte[] buffer;
    private int start;
    private int end;
    private DockerStreamType currentStream = DockerStreamType.Stdout;
    private long remainingInFrame;

    internal DockerAttachStream(Stream stream, ReadOnlyMemory<byte> alreadyRead, bool multiplexed, Action? closeWrite = null, int bufferSize = 32 * 1024)
    {
        this.stream = stream;
        this.closeWrite = closeWrite;
        Multiplexed = multiplexed;
        buffer = new byte[Math.Max(bufferSize, alreadyRead.Length + HeaderSize)];
        alreadyRead.CopyTo(buffer);
        end = alreadyRead.Length;
    }

    public bool Multiplexed { get; }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        stream.WriteAsync(data, cancellationToken);

    /// <summary>Half-closes the connection; with StdinOnce the container then reads end of file.</summary>
    public void CloseStdin() => closeWrite?.Invoke();

    /// <summary>The next chunk of output, or null when the container closed its output.</summary>
    public async ValueTask<DockerOutputChunk?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!Multiplexed)
        {
            if (start == end && !await FillAsync(1, cancellationToken))
            {
                return null;
            }
            var raw = buffer.AsMemory(start, end - start);
            start = end;
            return new DockerOutputChunk(DockerStreamType.Stdout, raw);
        }

        while (remainingInFrame == 0)
        {
            if (!await FillAsync(HeaderSize, cancellationToken))
            {
                if (end - start > 0)
                {
                    throw new IOException($"the attach stream ended inside a frame header ({end - start} of {HeaderSize} bytes)");
                }
                return null;
            }
            var header = buffer.AsSpan(start, HeaderSize);
            if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0)
            {
                throw new IOException($"malformed attach frame header {Convert.ToHexString(header)}");
            }
            currentStream = (DockerStreamType)header[0];
            remainingInFrame = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
            start += HeaderSize;
        }

        if (start == end && !await FillAsync(1, cancellationToken))
        {
            throw new IOException($"the attach stream ended inside a frame ({remainingInFrame} bytes missing)");
        }
        var take = (int)Math.Min(remainingInFrame, end - start);
        var payload = buffer.AsMemory(start, take);
        start += take;
        remainingInFrame -= take;
        return new DockerOutputChunk(currentStream, payload);
    }

    public async ValueTask DisposeAsync() => await stream.DisposeAsync();

    /// <summary>Ensures at least <paramref name="count"/> unread bytes; false at a clean end of stream.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (end - start >= count)
        {
            return true;
        }
        if (start > 0)
        {
            // Compact so the read below has room; the unread tail is at most a header.
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        while (end - start < count)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
            if (read == 0)
            {
                return false;
            }
            end += read;
        }
        return true;
    }
}
