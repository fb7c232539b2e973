using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;

namespace Serverless.Cli;

/// <summary><c>pack DIR [-o FILE] [--force]</c>: a deterministic zip, written only when the platform would accept it.</summary>
public static class PackCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("DIR") { Description = "The plugin folder (manifest.json at its root)" };
        var output = new Option<string?>("--output", "-o") { Description = "Zip to write (default: DIR/dist/ID-VERSION.zip; DIR/dist/ID.zip when the manifest has no id)", HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Write the zip even when it is invalid (the exit code stays 1)" };
        var command = new Command("pack", "Pack a plugin folder into a deterministic zip")
        {
            input,
            output,
            force,
        };
        command.WithDetails("""
            Packs a plugin folder into a zip that is byte-identical every time: entries sorted by name,
            timestamps fixed at 1980-01-01, modes 0644 (0755 for executables), deflate.
            Left out: names starting with '.' (.git, .env, .venv, ...), __pycache__/, *.pyc, *.pyo, and at
            the root tests/ and dist/. Symbolic links, pipes and devices are refused, never followed.
            The zip is validated like `validate` and not written when invalid, unless --force.
            """);
        command.SetAction(parse => Run(console, parse.GetRequiredValue(input), parse.GetValue(output), parse.GetValue(force), parse.Json()));
        return command;
    }

    private static int Run(CliConsole console, string path, string? output, bool force, bool json)
    {
        var directory = console.FullPath(path);
        if (!Directory.Exists(directory))
        {
            throw CliException.Usage(File.Exists(directory)
                ? $"'{path}' is a file; pack takes the plugin folder (validate and upload also take zips)"
                : $"'{path}' is not a folder");
        }
        var target = output is null ? null : console.FullPath(output);
        var validator = PackageSource.Validator(console);
        var packed = PluginPacker.Pack(directory, validator.Limits, skip: target);
        var report = packed.Zip.Length == 0 && packed.Refused.Count > 0
            ? new PackageReport(null, packed.Refused, [], [])
            : packed.Validate(validator, PackageSource.FallbackIdOf(directory));

        // A manifest without an id takes it from the upload's name, so its zip is named just ID.zip, ready to upload.
        target ??= report.Manifest is { } manifest
            ? Path.Combine(directory, "dist", report.Warnings.Any(w => w.Code == IssueCodes.FieldFallback && w.Path == "$.id") ? $"{manifest.Id}.zip" : $"{manifest.Id}-{manifest.Version.Text}.zip")
            : null;
        // Refused files (links, pipes) would be silently missing from the zip: never written, even with --force.
        var write = target is not null && packed.Zip.Length > 0 && packed.Refused.Count == 0 && (report.IsValid || force);
        if (write)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target!)!);
            var temporary = target + ".tmp";
            File.WriteAllBytes(temporary, packed.Zip);
            File.Move(temporary, target!, overwrite: true);
        }

        var status = report.IsValid ? "packed" : "invalid";
        var document = ValidateCommand.Document(report, status);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(packed.Zip));
        document["output"] = write ? target : null;
        document["bytes"] = packed.Zip.Length;
        document["sha256"] = sha256;
        document["files"] = new JsonArray([.. packed.Files.Select(file => JsonValue.Create(file))]);
        if (json)
        {
            Output.WriteJson(console.Out, document);
        }
        else
        {
            ReportPrinter.Print(console, document, directory);
            if (write)
            {
                console.Out.WriteLine($"wrote {target} ({packed.Files.Count} files, {Output.Size(packed.Zip.Length)}, sha256 {sha256})");
            }
            else if (target is null)
            {
                console.Out.WriteLine("not written: the manifest gives no id and version to name the zip; fix it or pass -o FILE");
            }
            else if (packed.Refused.Count > 0)
            {
                console.Out.WriteLine("not written: the folder holds files that cannot be packed (see above)");
            }
            else
            {
                console.Out.WriteLine("not written: the package is invalid; fix the errors above (or --force to write it anyway)");
            }
        }
        return report.IsValid ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
