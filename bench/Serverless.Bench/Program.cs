using Serverless.Bench;

// Rerunnable benchmarks; each prints a Markdown table for docs/benchmarks.md with its baseline from the same run.
return args.FirstOrDefault() switch
{
    "packages" => await PackagesBench.RunAsync(args[1..]),
    "interactions" => await InteractionsBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: serverless-bench packages [--iterations N]");
    Console.Error.WriteLine("       serverless-bench interactions --app URL --baseline URL --key-file PEM [--requests N] [--concurrency C]");
    return 2;
}
