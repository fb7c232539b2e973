using System.CommandLine;
using System.Text.Json.Nodes;
using Serverless.Platform.Packages;

namespace Serverless.Cli;

/// <summary><c>new NAME [--dir DIR]</c>: scaffolds a plugin that validates, packs and passes its own test as is.</summary>
public static class NewCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("NAME") { Description = "The plugin's name; its id is NAME with '-' as '_' and must follow the id rule: 1 to 64 lowercase letters, digits, '_'" };
        var dir = new Option<string?>("--dir", "-d") { Description = "Folder to create (default: ./NAME); must not exist or be empty", HelpName = "DIR" };
        var command = new Command("new", "Scaffold a working plugin (manifest, code, README, test)")
        {
            name,
            dir,
        };
        command.WithDetails("""
            Writes manifest.json (version 0.1.0, one /greet slash command), plugin.py (a handler written
            against mmo_maid_sdk), README.md, and tests/test_plugin.py, which runs the handler in-process
            against a fake ctx with the standard library's unittest. It validates and packs as is.
            """);
        command.SetAction(parse => Run(console, parse.GetRequiredValue(name), parse.GetValue(dir), parse.Json()));
        return command;
    }

    private static int Run(CliConsole console, string name, string? dir, bool json)
    {
        var id = name.Replace('-', '_');
        var idErrors = ManifestParser.Parse(System.Text.Encoding.UTF8.GetBytes(PluginTemplate.Manifest(id, name))).Errors
            .Where(issue => issue.Path == "$.id").ToList();
        if (idErrors.Count > 0)
        {
            var suggestion = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '_').ToArray());
            var hint = suggestion.Length is > 0 and <= 64 && suggestion != id && suggestion != PluginManifest.PlatformId ? $"; try '{suggestion}'" : "";
            throw CliException.Usage($"'{name}' does not make a plugin id: {idErrors[0].Message}{hint}");
        }

        var target = console.FullPath(dir ?? name);
        if (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
        {
            throw CliException.Usage($"'{target}' already exists and is not empty; pick another --dir or remove it");
        }
        var files = PluginTemplate.Files(id, name);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(target, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        var repo = CliOptions.RepoRoot(console);
        var sdk = repo is null ? "<repo>/sandbox/sdk" : Path.Combine(repo, "sandbox", "sdk");
        var cli = repo is null ? "local/plugin" : Path.Combine(repo, "local", "plugin");
        if (json)
        {
            Output.WriteJson(console.Out, new JsonObject
            {
                ["status"] = "created",
                ["plugin"] = new JsonObject { ["id"] = id, ["version"] = "0.1.0" },
                ["directory"] = target,
                ["files"] = new JsonArray([.. files.Select(file => JsonValue.Create(file.Path))]),
                ["testCommand"] = $"PYTHONPATH={sdk} python3 -m unittest",
            });
            return ExitCodes.Ok;
        }
        var colored = console.OutColored;
        console.Out.WriteLine($"{Output.Green("created", colored)}  {id} 0.1.0  {Output.Dim(target, colored)}");
        foreach (var (path, _) in files)
        {
            console.Out.WriteLine($"  {path}");
        }
        var relative = Path.GetRelativePath(console.WorkingDirectory, target);
        console.Out.WriteLine();
        console.Out.WriteLine("Next:");
        console.Out.WriteLine($"  cd {relative}");
        console.Out.WriteLine($"  PYTHONPATH={sdk} python3 -m unittest    # its test");
        console.Out.WriteLine($"  {cli} validate .                     # the platform's checks");
        console.Out.WriteLine($"  {cli} upload . --publisher YOU       # publish locally (local/up running)");
        return ExitCodes.Ok;
    }
}
