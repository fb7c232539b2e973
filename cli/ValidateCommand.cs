using System.CommandLine;
using System.Text.Json.Nodes;
using Serverless.Functions.Packages;

namespace Serverless.Cli;

/// <summary><c>validate DIR|ZIP</c>: the platform's own validator, run locally; nothing is uploaded.</summary>
public static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("DIR|ZIP") { Description = "A plugin folder (packed in memory exactly as `pack` would) or a plugin zip" };
        var command = new Command("validate", "Run the platform's validator on a plugin folder or zip, locally")
        {
            input,
        };
        command.WithDetails("""
            Checks a plugin with the same validator the platform runs on upload, and list every error and
            warning with its code, its path (in the manifest or the zip) and a message. --json prints the
            report document of the uploads contract, with status "valid" or "invalid".
            Not checked here (the platform does it on upload): plugin id ownership, whether the version
            is already published, dependencies on other published plugins.
            """);
        command.SetAction(parse => Run(console, parse.GetRequiredValue(input), parse.Json()));
        return command;
    }

    private static int Run(CliConsole console, string path, bool json)
    {
        var validator = PackageSource.Validator(console);
        var source = PackageSource.Open(console, path, validator.Limits);
        var report = source.Validate(validator);
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

    public static JsonObject Document(PackageReport report, string status) => JsonNode.Parse(report.ToJson(status))!.AsObject();
}
