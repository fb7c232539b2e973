using System.CommandLine;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;

namespace Serverless.Cli;

/// <summary>
/// <c>validate DIR|ZIP</c>: the platform's own validator, then its boot check in the sandbox image when a
/// Docker engine answers, run locally; nothing is uploaded.
/// </summary>
public static class ValidateCommand
{
    /// <summary>The warning of a report whose boot check did not run here.</summary>
    public const string BootCheckSkipped = "boot_check_skipped";

    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("DIR|ZIP") { Description = "A plugin folder (packed in memory exactly as `pack` would) or a plugin zip" };
        var noBootCheck = new Option<bool>("--no-boot-check") { Description = "Only the static checks: do not start the plugin in the sandbox (the report says the boot check was skipped)" };
        var command = new Command("validate", "Run the platform's validator and boot check on a plugin folder or zip, locally")
        {
            input,
            noBootCheck,
        };
        command.WithDetails("""
            Checks a plugin with the same validator the platform runs on upload, then, for a plugin with code,
            the same boot check: the plugin is started once in the sandbox image (serverless-sandbox-runner:latest,
            or $SANDBOX_IMAGE, on the Docker engine at $DOCKER_HOST, default unix:///var/run/docker.sock) and
            what it registers is checked (a syntax or import error, a schedule under 30 s, an invalid cron spec
            are errors). Every error and warning is listed with its code, its path (in the manifest or the zip)
            and a message. When no Docker engine answers or the image is missing, the boot check is skipped
            with the warning boot_check_skipped saying why; the upload still runs it. --json prints the report
            document of the uploads contract, with status "valid" or "invalid".
            Not checked here (the platform does it on upload): plugin id ownership, whether the version
            is already published, dependencies on other published plugins.
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(console, parse.GetRequiredValue(input), !parse.GetValue(noBootCheck), parse.Json(), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string path, bool bootCheck, bool json, CancellationToken cancellationToken)
    {
        var validator = PackageSource.Validator(console);
        var source = PackageSource.Open(console, path, validator.Limits);
        var report = source.Validate(validator);
        if (report.IsValid && UploadProcessor.HasCode(report.Manifest!))
        {
            report = bootCheck
                ? await BootCheckAsync(console, source, report, validator, json, cancellationToken)
                : report.With([], [Skipped("--no-boot-check was given")]);
        }
        var document = Document(report, report.IsValid ? "valid" : "invalid");
        if (json)
        {
            Output.WriteJson(console.Out, document);
        }
        else
        {
            ReportPrinter.Print(console, document, source.Path);
        }
        return report.IsValid ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>The platform's boot check on its own Docker sandbox driver; when the sandbox cannot run it, a warning saying why.</summary>
    private static async Task<PackageReport> BootCheckAsync(CliConsole console, PackageSource source, PackageReport report, PackageValidator validator, bool json, CancellationToken cancellationToken)
    {
        var options = new DockerSandboxOptions
        {
            DockerHost = console.GetVariable("DOCKER_HOST") is { Length: > 0 } host ? host : DockerEngine.DefaultHost,
            Image = console.GetVariable("SANDBOX_IMAGE") is { Length: > 0 } image ? image : DockerSandboxOptions.DefaultImage,
            PlatformName = console.GetVariable(PlatformSettings.StackNameKey) is { Length: > 0 } stack ? stack : PlatformSettings.DefaultStackName,
        };
        DockerClient client;
        try
        {
            client = DockerEngine.CreateClient(options.DockerHost);
        }
        catch (ArgumentException ex)
        {
            return report.With([], [Skipped(ex.Message)]);
        }
        using (client)
        {
            try
            {
                if (!await client.ImageExistsAsync(options.Image, cancellationToken))
                {
                    return report.With([], [Skipped($"the sandbox image {options.Image} is not on the Docker engine at {options.DockerHost}; build it with sandbox/build-image (local/up does)")]);
                }
            }
            catch (DockerEngineException ex)
            {
                return report.With([], [Skipped($"{ex.Message}; start Docker, or set DOCKER_HOST")]);
            }
            if (!json)
            {
                console.Error.WriteLine($"boot check: starting {report.Manifest!.Id} in the sandbox ({options.Image})…");
            }
            var check = new BootCheck(validator, new DockerSandboxDriver(client, options, NullLogger<DockerSandboxDriver>.Instance), NullLogger<BootCheck>.Instance);
            try
            {
                await using var zip = new MemoryStream();
                await using (var original = source.OpenZip())
                {
                    await original.CopyToAsync(zip, cancellationToken);
                }
                var boot = await check.RunAsync(zip, report.Manifest!, cancellationToken);
                return report.With(boot.Errors, boot.Warnings);
            }
            catch (SandboxUnavailableException ex)
            {
                return report.With([], [Skipped(ex.Message)]);
            }
        }
    }

    private static PackageIssue Skipped(string why) =>
        new(BootCheckSkipped, $"the boot check was skipped: {why}. The platform runs it on upload; until then a syntax or import error, or an invalid schedule or cron, goes unnoticed here", "");

    public static JsonObject Document(PackageReport report, string status) => JsonNode.Parse(report.ToJson(status))!.AsObject();
}
