using System.Collections.Concurrent;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;

namespace Serverless.Platform.Invocations;

/// <summary>A published plugin version unpacked on this host: its manifest and its folder.</summary>
public sealed record PluginPackage(PluginManifest Manifest, string Directory);

/// <summary>
/// Unpacks published versions once per host into <c>PLUGIN_CACHE_DIR/{id}/{version}</c>, readable by the
/// sandbox's non-root user and mounted read-only into it. Versions are immutable, so the cache never goes stale.
/// The default folder is per stack (<c>{temp}/serverless-plugins/{stack}</c>): another stack's catalog may hold
/// a different zip under the same id and version.
/// </summary>
public sealed class PluginFiles(PluginCatalog catalog, PackageValidator validator, IConfiguration configuration)
{
    /// <summary>The folder this host unpacks into.</summary>
    public string Root { get; } = configuration["PLUGIN_CACHE_DIR"] is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "serverless-plugins", configuration.StackName());

    private readonly ConcurrentDictionary<string, Lazy<Task<PluginPackage>>> _packages = new();

    public Task<PluginPackage> GetAsync(string pluginId, PluginVersion version, CancellationToken cancellationToken)
    {
        var key = $"{pluginId}/{version.Text}";
        var lazy = _packages.GetOrAdd(key, _ => new Lazy<Task<PluginPackage>>(() => LoadAsync(pluginId, version, CancellationToken.None)));
        return lazy.Value.WaitAsync(cancellationToken).ContinueWith(task =>
        {
            if (task.IsFaulted)
            {
                // A failed load (storage hiccup) must not be cached forever.
                _packages.TryRemove(key, out _);
            }
            return task;
        }, TaskScheduler.Default).Unwrap();
    }

    private async Task<PluginPackage> LoadAsync(string pluginId, PluginVersion version, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Root, pluginId, version.Text);
        var complete = Path.Combine(directory, ".unpacked");
        if (!File.Exists(complete))
        {
            await UnpackAsync(pluginId, version, directory, cancellationToken);
        }
        var manifest = ManifestParser.Parse(await File.ReadAllBytesAsync(Path.Combine(directory, PackageValidator.ManifestName), cancellationToken),
            fallbackId: pluginId, hasDefaultEntrypoint: File.Exists(Path.Combine(directory, PluginManifest.DefaultEntrypoint)));
        return new PluginPackage(manifest.Manifest ?? throw new InvalidDataException($"{pluginId} {version} has an unreadable manifest"), directory);
    }

    private async Task UnpackAsync(string pluginId, PluginVersion version, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
        var staging = directory + ".tmp-" + Guid.NewGuid().ToString("N");
        await using (var zip = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose))
        {
            using (var download = (await catalog.PackageBlob(pluginId, version).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value)
            {
                await download.Content.CopyToAsync(zip, cancellationToken);
            }
            zip.Position = 0;
            var report = await validator.ExtractAsync(zip, staging, pluginId, cancellationToken);
            if (!report.IsValid)
            {
                throw new InvalidDataException($"{pluginId} {version} no longer passes validation: {string.Join("; ", report.Errors.Select(e => e.Message))}");
            }
        }
        MakeReadableBySandbox(staging);
        await File.WriteAllTextAsync(Path.Combine(staging, ".unpacked"), DateTimeOffset.UtcNow.ToString("O"), cancellationToken);
        try
        {
            Directory.Move(staging, directory);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, ".unpacked")))
        {
            // Another process unpacked the same immutable version first.
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The sandbox runs as another uid; it needs to read (never write) these files.</summary>
    internal static void MakeReadableBySandbox(string root)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode traversable = readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(root, traversable);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(dir, traversable);
        }
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var executable = File.GetUnixFileMode(file).HasFlag(UnixFileMode.UserExecute);
            File.SetUnixFileMode(file, executable ? traversable : readable);
        }
    }
}
