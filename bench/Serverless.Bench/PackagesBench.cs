using System.Diagnostics;
using System.IO.Compression;
using Serverless.Platform.Packages;

namespace Serverless.Bench;

/// <summary>
/// Validating uploads: a legitimate 10 MB zip of 1,000 files and two bombs, against the naive baseline
/// of reading every entry with System.IO.Compression (what a validator without limits would do).
/// </summary>
public static class PackagesBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = args.Length >= 2 && args[0] == "--iterations" ? int.Parse(args[1]) : 20;
        var legit = LegitZip(files: 1000, totalBytes: 10 * 1024 * 1024);
        var ratioBomb = RatioBomb(uncompressedBytes: 1L << 30);
        var nested = NestedBomb(layers: 3, width: 10);
        var validator = new PackageValidator();

        Console.WriteLine($"machine: {Stats.Machine()}");
        Console.WriteLine($"inputs: legit {legit.Length / 1024.0 / 1024:0.0} MB zip of 1000 files; ratio bomb {ratioBomb.Length / 1024} KB (1 GiB of zeros); nested bomb {nested.Length / 1024} KB (3 layers of 10)");
        Console.WriteLine();
        Console.WriteLine("| input | what | median ms | p99 ms | allocated MB | verdict |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | --- |");
        await Measure("10 MB, 1,000 files", "PackageValidator", iterations, () => Verdict(validator.Validate(new MemoryStream(legit))));
        await Measure("10 MB, 1,000 files", "baseline: ZipArchive reads every entry", iterations, () => ReadAll(legit));
        await Measure("1 GiB ratio bomb", "PackageValidator", iterations, () => Verdict(validator.Validate(new MemoryStream(ratioBomb))));
        await Measure("1 GiB ratio bomb", "baseline: ZipArchive reads every entry", Math.Max(1, iterations / 10), () => ReadAll(ratioBomb));
        await Measure("nested bomb", "PackageValidator", iterations, () => Verdict(validator.Validate(new MemoryStream(nested))));
        return 0;
    }

    private static string Verdict(PackageReport report) =>
        report.IsValid ? "valid" : "rejected: " + string.Join(",", report.Errors.Select(e => e.Code).Distinct());

    private static string ReadAll(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        long total = 0;
        var buffer = new byte[81920];
        foreach (var entry in archive.Entries)
        {
            using var stream = entry.Open();
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                total += read;
            }
        }
        return $"read {total / 1024 / 1024} MB";
    }

    private static Task Measure(string input, string what, int iterations, Func<string> run)
    {
        var verdict = run();
        var samples = new List<double>();
        var allocated = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            verdict = run();
            samples.Add(Stats.Ms(start));
            allocated.Add((GC.GetAllocatedBytesForCurrentThread() - before) / 1024.0 / 1024);
        }
        var (median, p99, _) = Stats.Summarize(samples);
        Console.WriteLine($"| {input} | {what} | {median:0.0} | {p99:0.0} | {allocated.Average():0.0} | {verdict} |");
        return Task.CompletedTask;
    }

    private static byte[] LegitZip(int files, int totalBytes)
    {
        var random = new Random(42);
        var manifest = """{"id":"bench_plugin","version":"1.0.0","name":"Bench"}""";
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(archive.CreateEntry("manifest.json").Open()))
            {
                writer.Write(manifest);
            }
            var perFile = totalBytes / files;
            var content = new byte[perFile];
            for (var i = 0; i < files - 1; i++)
            {
                // Mostly incompressible (images, bytecode), a little text: the zip stays about 10 MB.
                random.NextBytes(content.AsSpan(0, perFile * 9 / 10));
                content.AsSpan(perFile * 9 / 10).Fill((byte)('a' + i % 26));
                using var stream = archive.CreateEntry($"assets/{i / 100}/file{i}.bin", CompressionLevel.Fastest).Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static byte[] RatioBomb(long uncompressedBytes)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(archive.CreateEntry("manifest.json").Open()))
            {
                writer.Write("""{"id":"bomb","version":"1.0.0"}""");
            }
            using var stream = archive.CreateEntry("zeros.bin", CompressionLevel.Optimal).Open();
            var zeros = new byte[1 << 20];
            for (long written = 0; written < uncompressedBytes; written += zeros.Length)
            {
                stream.Write(zeros);
            }
        }
        return buffer.ToArray();
    }

    private static byte[] NestedBomb(int layers, int width)
    {
        var inner = RatioBomb(16L << 20);
        for (var layer = 0; layer < layers; layer++)
        {
            using var buffer = new MemoryStream();
            using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            {
                if (layer == layers - 1)
                {
                    using var writer = new StreamWriter(archive.CreateEntry("manifest.json").Open());
                    writer.Write("""{"id":"nested","version":"1.0.0"}""");
                }
                for (var i = 0; i < width; i++)
                {
                    using var stream = archive.CreateEntry($"layer{layer}_{i}.zip", CompressionLevel.Optimal).Open();
                    stream.Write(inner);
                }
            }
            inner = buffer.ToArray();
        }
        return inner;
    }
}
