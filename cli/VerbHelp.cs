using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Serverless.Cli;

/// <summary>
/// Longer help for a verb, shown after the standard help of that verb only, so the verb list of
/// <c>local/plugin --help</c> stays one line per verb.
/// </summary>
public static class VerbHelp
{
    private static readonly ConditionalWeakTable<Command, string> Details = [];

    public static Command WithDetails(this Command command, string details)
    {
        var text = details.Trim();
        Details.AddOrUpdate(command, text.Length == 0 ? ExitCodes.Help : text + Environment.NewLine + Environment.NewLine + ExitCodes.Help);
        return command;
    }

    /// <summary>Wraps the root's --help so a verb's details follow its usage and options.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new DetailedHelpAction((HelpAction)help.Action!);
    }

    public static bool IsHelp(ParseResult parse) => parse.Action is DetailedHelpAction or HelpAction;

    private sealed class DetailedHelpAction(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = standard.Invoke(parseResult);
            if (Details.TryGetValue(parseResult.CommandResult.Command, out var details))
            {
                parseResult.InvocationConfiguration.Output.WriteLine(details);
                parseResult.InvocationConfiguration.Output.WriteLine();
            }
            return code;
        }
    }
}
