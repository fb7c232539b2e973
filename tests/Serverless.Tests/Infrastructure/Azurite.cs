using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Serverless.Platform.Hosting;
using Serverless.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(Azurite))]

namespace Serverless.Tests.Infrastructure;

/// <summary>
/// One Azurite (Blob, Queue, Table) for the whole test assembly: the one named by
/// <c>AZURITE_CONNECTION_STRING</c>, or else <c>local/node_modules/.bin/azurite</c> started in memory on
/// free loopback ports and killed at the end. Take it as a constructor parameter, give every test its own
/// container/queue/table from <see cref="UniqueName"/>, and read <see cref="ConnectionString"/> (or the
/// <see cref="Blobs"/>, <see cref="Queues"/> and <see cref="Tables"/> clients) inside the test:
/// when Azurite is unavailable that fails the test under <c>CI=true</c> and skips it otherwise.
/// </summary>
public sealed class Azurite : IAsyncLifetime
{
    public const string ConnectionStringVariable = "AZURITE_CONNECTION_STRING";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private Process? _process;
    private string? _workDirectory;
    private string? _connectionString;
    private string? _unavailableReason;
    private readonly List<string> _output = [];

    /// <summary>Explicit-endpoint connection string for <c>devstoreaccount1</c>.</summary>
    public string ConnectionString
    {
        get
        {
            EnsureAvailable();
            return _connectionString!;
        }
    }

    public BlobServiceClient Blobs => new(ConnectionString);

    public QueueServiceClient Queues => new(ConnectionString);

    public TableServiceClient Tables => new(ConnectionString);

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A name valid for a container, a queue and a table alike (lowercase letters and digits, starting with
    /// a letter, 3–63 characters), unique per call so tests can run in parallel.
    /// </summary>
    public static string UniqueName(string prefix = "t")
    {
        if (prefix.Length == 0 || !char.IsAsciiLetterLower(prefix[0]) || !prefix.All(char.IsAsciiLetterLower) || prefix.Length > 40)
        {
            throw new ArgumentException("Prefix must be 1-40 lowercase ASCII letters.", nameof(prefix));
        }
        return prefix + Guid.NewGuid().ToString("N")[..20];
    }

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            // Probe once here, so a dead endpoint fails (CI) or skips at once instead of after every test's retries.
            var unreachable = new List<string>();
            foreach (var endpoint in new[] { new BlobServiceClient(configured).Uri, new QueueServiceClient(configured).Uri, new TableServiceClient(configured).Uri })
            {
                if (!await AnswersAsync(endpoint.Host, endpoint.Port))
                {
                    unreachable.Add(endpoint.GetLeftPart(UriPartial.Authority));
                }
            }
            if (unreachable.Count > 0)
            {
                _unavailableReason = $"{ConnectionStringVariable} names endpoints that do not answer: {string.Join(", ", unreachable)}.";
                return;
            }
            _connectionString = configured;
            return;
        }

        var executable = FindExecutable();
        if (executable is null)
        {
            _unavailableReason = $"Azurite is not installed: run `npm ci` in local/ (looked for local/node_modules/.bin/azurite above {AppContext.BaseDirectory}) or set {ConnectionStringVariable}.";
            return;
        }

        // A port picked free can be taken before Azurite binds it; try again with fresh ports.
        var failures = new List<string>();
        for (var attempt = 0; attempt < 3 && _connectionString is null; attempt++)
        {
            try
            {
                await StartAsync(executable);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                failures.Add(ex.Message);
                await StopAsync();
            }
        }
        if (_connectionString is null)
        {
            _unavailableReason = "Azurite could not be started: " + string.Join(" | ", failures);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private void EnsureAvailable()
    {
        if (_unavailableReason is null)
        {
            return;
        }
        if (IsCi)
        {
            throw new InvalidOperationException(_unavailableReason + " (CI=true, so this is a failure, not a skip)");
        }
        Assert.Skip(_unavailableReason);
    }

    private async Task StartAsync(string executable)
    {
        var ports = FreePorts(3);
        lock (_output)
        {
            _output.Clear();
        }
        // --location cannot be combined with --inMemoryPersistence; the working directory takes any stray files.
        _workDirectory = Directory.CreateTempSubdirectory("azurite-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = _workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(),
            "--queueHost", "127.0.0.1", "--queuePort", ports[1].ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", ports[2].ToString(),
            "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var port in ports)
        {
            while (!await AnswersAsync("127.0.0.1", port))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode}: {Output()}");
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Azurite did not open port {port} within {StartTimeout.TotalSeconds} s: {Output()}");
                }
                await Task.Delay(100);
            }
        }

        _connectionString = StorageConnection.Azurite(ports[0].ToString(), ports[1].ToString(), ports[2].ToString());
    }

    private async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                // Already gone, or not stoppable: nothing more a test run can do about it.
            }
            process.Dispose();
        }
        if (_workDirectory is { } directory)
        {
            _workDirectory = null;
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string? FindExecutable()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Serverless.sln")))
            {
                var path = Path.Combine(directory.FullName, "local", "node_modules", ".bin", "azurite");
                return File.Exists(path) ? path : null;
            }
        }
        return null;
    }

    private static int[] FreePorts(int count)
    {
        // Hold all listeners open together so the ports differ from each other.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static async Task<bool> AnswersAsync(string host, int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            if (_output.Count < 50)
            {
                _output.Add(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.Count == 0 ? "(no output)" : string.Join(" / ", _output);
        }
    }
}
