using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Hosting;
using Serverless.Functions.Packages;
using Serverless.Functions.Sandbox;
using Serverless.Functions.WorkQueue;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// What the published app expects of its environment is what infra/ creates: the bindings'
/// connections and queue, every container, queue and table of StorageLayout, the runner's limits,
/// and the services azure.yaml deploys. (The publish output itself: Hosting/PublishLayoutTests.)
/// </summary>
public sealed class InfraLayoutTests
{
    private static string Infra(params string[] path) => File.ReadAllText(Path.Combine([RepoPaths.Root, "infra", .. path]));

    private static string MainBicep => Infra("main.bicep");

    /// <summary>
    /// Each function's trigger as functions.metadata states it (type, connection, queue or path), read from the
    /// <c>[Function]</c> declarations the worker SDK writes that file from.
    /// </summary>
    internal static IReadOnlyList<(string Function, JsonObject Binding)> Bindings()
    {
        var bindings = new List<(string, JsonObject)>();
        foreach (var method in typeof(PlatformRegistration).Assembly.GetExportedTypes().SelectMany(t => t.GetMethods()))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }
            foreach (var attribute in method.GetParameters().SelectMany(p => p.GetCustomAttributes()))
            {
                JsonObject? binding = attribute switch
                {
                    HttpTriggerAttribute http => new() { ["type"] = "httpTrigger", ["route"] = http.Route },
                    QueueTriggerAttribute queue => new() { ["type"] = "queueTrigger", ["queueName"] = queue.QueueName, ["connection"] = queue.Connection },
                    BlobTriggerAttribute blob => new() { ["type"] = "blobTrigger", ["path"] = blob.BlobPath, ["connection"] = blob.Connection },
                    TimerTriggerAttribute timer => new() { ["type"] = "timerTrigger", ["schedule"] = timer.Schedule },
                    _ => null,
                };
                if (binding is not null)
                {
                    bindings.Add((function.Name, binding));
                }
            }
        }
        return bindings;
    }

    private static IReadOnlyList<(string Function, JsonObject Binding)> RepoBindings => Bindings();

    [Fact]
    public void Bindings_ConnectionsAreProvidedByAppSettings()
    {
        var appSettings = SettingsChecker.ReadAppSettings(SettingsConsistencyTests.FunctionAppBicep);

        Assert.Contains(RepoBindings, b => b.Binding["connection"] is not null);
        Assert.Empty(SettingsChecker.MissingConnections(RepoBindings, appSettings));
    }

    [Fact]
    public void DispatchQueue_IsAStorageQueueBicepCreates()
    {
        var trigger = RepoBindings.Single(b => b.Binding["type"]?.GetValue<string>() == "queueTrigger").Binding;

        Assert.Equal(WorkQueueRegistration.QueueName, trigger["queueName"]!.GetValue<string>());
        Assert.Contains(WorkQueueRegistration.QueueName, BicepText.ReadStringArrayVar(MainBicep, "storageQueues"));
        Assert.Contains(WorkQueueRegistration.QueueName + "-poison", BicepText.ReadStringArrayVar(MainBicep, "storageQueues"));
    }

    [Fact]
    public void StorageLayout_EveryContainerQueueAndTableIsCreated()
    {
        Assert.Equal(StorageLayout.Containers.Order(), BicepText.ReadStringArrayVar(MainBicep, "blobContainers").Order());
        Assert.Equal(StorageLayout.Queues.Order(), BicepText.ReadStringArrayVar(MainBicep, "storageQueues").Order());
        Assert.Equal(StorageLayout.Tables.Order(), BicepText.ReadStringArrayVar(MainBicep, "storageTables").Order());
        Assert.Matches(@"module storage[\s\S]*?containers: blobContainers[\s\S]*?queues: storageQueues[\s\S]*?tables: storageTables", MainBicep);
    }

    [Fact]
    public void BlobTrigger_WatchesAContainerInfraCreates()
    {
        var path = RepoBindings.Single(b => b.Binding["type"]?.GetValue<string>() == "blobTrigger").Binding["path"]!.GetValue<string>();

        Assert.Contains(path.Split('/')[0], BicepText.ReadStringArrayVar(MainBicep, "blobContainers"));
        Assert.Contains($"/containers/{path.Split('/')[0]}/", Infra("hooks", "postdeploy-functions.sh"));
        Assert.Equal(PluginCatalog.PackagesContainer, Regex.Match(MainBicep, @"packagesContainerName: '([^']+)'").Groups[1].Value);
    }

    [Fact]
    public void RunnerJob_LimitsAreSandboxLimitsDefault()
    {
        var defaults = SandboxLimits.Default;
        var limits = BicepText.ReadObjectVar(MainBicep, "sandboxLimits")
            .ToDictionary(p => p.Key, p => double.Parse(BicepText.StringValue(p.Value) ?? p.Value, CultureInfo.InvariantCulture));
        var job = Infra("modules", "plugin-runner-job.bicep");

        Assert.Equal(defaults.WallTime.TotalSeconds, double.Parse(BicepText.ReadScalarVar(MainBicep, "sandboxWallTimeSeconds"), CultureInfo.InvariantCulture));
        Assert.Equal(defaults.MemoryBytes / SandboxLimits.MiB, limits["SANDBOX_MEMORY_MB"]);
        Assert.Equal(defaults.Cpus, limits["SANDBOX_CPUS"]);
        Assert.Equal(defaults.Pids, limits["SANDBOX_PIDS"]);
        Assert.Equal(defaults.OpenFiles, limits["SANDBOX_NOFILE"]);
        Assert.Equal(defaults.FileSizeBytes / SandboxLimits.MiB, limits["SANDBOX_FSIZE_MB"]);
        Assert.Equal(defaults.Processes, limits["SANDBOX_NPROC"]);
        Assert.Equal(defaults.OutputBytesPerStream, limits["SANDBOX_OUTPUT_BYTES"]);
        Assert.Equal(defaults.TmpfsBytes / SandboxLimits.MiB, limits["SANDBOX_TMPFS_MB"]);
        // Every limit handed to the runner is a name the sandbox code reads (no typo can hide here).
        var code = SettingsConsistencyTests.CodeReads();
        Assert.All(limits.Keys, name => Assert.Contains(name, code));
        // The container's vCPUs are the sandbox's CPU limit.
        Assert.Equal(defaults.Cpus, double.Parse(BicepText.ReadParamDefault(job, "cpu")!, CultureInfo.InvariantCulture));
        Assert.Contains("triggerType: 'Manual'", job);
        Assert.DoesNotContain("ingress", BicepText.Mask(job), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void GatewayBridge_RunsExactlyOneReplica()
    {
        var bridge = BicepText.Mask(Infra("modules", "gateway-bridge.bicep"));

        Assert.Matches(@"minReplicas:\s*1\b", bridge);
        Assert.Matches(@"maxReplicas:\s*1\b", bridge);
        Assert.DoesNotContain("ingress", bridge, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AzureYaml_EveryServiceHasItsTaggedResource()
    {
        var yaml = File.ReadAllText(Path.Combine(RepoPaths.Root, "azure.yaml"));
        var services = Regex.Match(yaml, @"(?ms)^services:\s*\n(?<body>.*?)(?=^\S|\z)").Groups["body"].Value;
        var names = Regex.Matches(services, @"(?m)^  (?<name>[a-z][a-z0-9-]*):\s*$").Select(m => m.Groups["name"].Value).Order().ToArray();
        var tagged = Regex.Matches(MainBicep, @"'azd-service-name':\s*'(?<name>[^']+)'").Select(m => m.Groups["name"].Value).Order().ToArray();

        Assert.Equal(["functions", "gateway-bridge", "plugin-runner"], names);
        Assert.Equal(names, tagged);
        // The function app ships the isolated worker's publish output, built by the prepackage hook into dist.
        Assert.Matches(@"functions:[\s\S]*?language: custom[\s\S]*?host: function[\s\S]*?dist: bin/azd-publish", services);
        Assert.Matches(@"dotnet publish Serverless\.Functions\.csproj -c Release\s+-o bin/azd-publish", services);
        Assert.Matches(@"runtime: \{\s*name: 'dotnet-isolated'", Infra("modules", "function-app.bicep"));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "sandbox", "Dockerfile")));
    }

    [Fact]
    public void ParametersFile_MatchesMainBicepParameters()
    {
        var parameters = JsonNode.Parse(Infra("main.parameters.json"))!["parameters"]!.AsObject().Select(p => p.Key).ToHashSet();
        var declared = BicepText.Params(MainBicep);

        Assert.All(parameters, name => Assert.Contains(declared, p => p.Name == name));
        // A parameter with no default must come from the file, or be generated by azd.
        var unprovided = declared.Where(p => !p.HasDefault && !parameters.Contains(p.Name) && !p.Decorators.Contains("type: 'generate'", StringComparison.Ordinal));
        Assert.Empty(unprovided.Select(p => p.Name));
    }
}
