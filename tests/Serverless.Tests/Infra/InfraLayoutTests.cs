using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Health;
using Serverless.Platform.Hosting;
using Serverless.Platform.Packages;
using Serverless.Platform.Sandbox;
using Serverless.Platform.WorkQueue;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.Infra;

/// <summary>
/// What the published app expects of its environment is what infra/ creates: the bindings'
/// connections and queue, every container, queue and table of StorageLayout, the function app's roles,
/// the runner's limits, and the services azure.yaml deploys. Read from the compiled templates.
/// (The publish output itself: Hosting/PublishLayoutTests.)
/// </summary>
[Collection(InfraTemplates.Collection)]
public sealed class InfraLayoutTests(InfraTemplates infra)
{
    private static string Infra(params string[] path) => File.ReadAllText(Path.Combine([RepoPaths.Root, "infra", .. path]));

    private ArmTemplate Main => infra.Main;

    /// <summary>
    /// Each function's trigger as functions.metadata states it (type, connection, queue or path), read from the
    /// <c>[Function]</c> declarations the worker SDK writes that file from.
    /// </summary>
    internal static IReadOnlyList<(string Function, JsonObject Binding)> Bindings()
    {
        var bindings = new List<(string, JsonObject)>();
        foreach (var method in typeof(HealthFunction).Assembly.GetExportedTypes().SelectMany(t => t.GetMethods()))
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

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(item => item!.GetValue<string>())];

    [Fact]
    public void Bindings_ConnectionsAreProvidedByAppSettings()
    {
        var appSettings = SettingsChecker.ReadAppSettings(infra.Module("function-app"));

        Assert.Contains(RepoBindings, b => b.Binding["connection"] is not null);
        Assert.Empty(SettingsChecker.MissingConnections(RepoBindings, appSettings));
    }

    [Fact]
    public void DispatchQueue_IsAStorageQueueInfraCreates()
    {
        var trigger = RepoBindings.Single(b => b.Function == "dispatch").Binding;
        var queues = Strings(Main.ModuleParameters("storage")["queues"]);

        Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(WorkQueueRegistration.QueueName, trigger["queueName"]!.GetValue<string>());
        Assert.Equal("AzureWebJobsStorage", trigger["connection"]!.GetValue<string>());
        // The queue, and the poison queue the host moves a message to after its last try.
        Assert.Contains(WorkQueueRegistration.QueueName, queues);
        Assert.Contains(WorkQueueRegistration.QueueName + "-poison", queues);
    }

    [Fact]
    public void StorageLayout_EveryContainerQueueAndTableIsCreated()
    {
        var storage = Main.ModuleParameters("storage");

        Assert.Equal(StorageLayout.Containers.Order(), Strings(storage["containers"]).Order());
        Assert.Equal(StorageLayout.Queues.Order(), Strings(storage["queues"]).Order());
        Assert.Equal(StorageLayout.Tables.Order(), Strings(storage["tables"]).Order());
        // The storage module makes one resource of each.
        var module = infra.Module("storage");
        string NameOf(string type) => module.SingleResource(type)["name"]!.GetValue<string>();
        Assert.Contains("union(parameters('containers'), createArray(parameters('deploymentContainerName')))[copyIndex()]", NameOf("Microsoft.Storage/storageAccounts/blobServices/containers"));
        Assert.Contains("parameters('queues')[copyIndex()]", NameOf("Microsoft.Storage/storageAccounts/queueServices/queues"));
        Assert.Contains("parameters('tables')[copyIndex()]", NameOf("Microsoft.Storage/storageAccounts/tableServices/tables"));
    }

    [Fact]
    public void BlobTrigger_WatchesAContainerInfraCreates()
    {
        var path = RepoBindings.Single(b => b.Binding["type"]?.GetValue<string>() == "blobTrigger").Binding["path"]!.GetValue<string>();

        Assert.Contains(path.Split('/')[0], Strings(Main.ModuleParameters("storage")["containers"]));
        Assert.Contains($"/containers/{path.Split('/')[0]}/", Infra("hooks", "postdeploy-functions.sh"));
        Assert.Equal(PluginCatalog.PackagesContainer, Main.ModuleParameters("role-assignments")["packagesContainerName"]!.GetValue<string>());
    }

    [Fact]
    public void FunctionApp_HoldsTheStorageDataRolesItsTriggersNeed()
    {
        var roles = infra.Module("role-assignments");
        var granted = roles.ResourcesOfType("Microsoft.Authorization/roleAssignments")
            .Where(r => r["properties"]!["principalId"]!.GetValue<string>() == "[parameters('functionPrincipalId')]")
            .Select(r => (Role: r["properties"]!["roleDefinitionId"]!.GetValue<string>(), Scope: r["scope"]?.GetValue<string>() ?? ""))
            .ToArray();
        string RoleId(string name) => roles.Variables["roles"]![name]!.GetValue<string>();
        bool OnTheAccount((string Role, string Scope) grant, string role) =>
            grant.Role.Contains($"variables('roles').{role}", StringComparison.Ordinal)
            && grant.Scope == "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]";

        // Blob Data Owner (the host's leases and keys), Queue Data Contributor (the invocations queue), Table Data Contributor.
        Assert.Equal("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", RoleId("storageBlobDataOwner"));
        Assert.Equal("974c5e8b-45b9-4653-ba55-5f855dd0fb88", RoleId("storageQueueDataContributor"));
        Assert.Equal("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", RoleId("storageTableDataContributor"));
        Assert.Contains(granted, g => OnTheAccount(g, "storageBlobDataOwner"));
        Assert.Contains(granted, g => OnTheAccount(g, "storageQueueDataContributor"));
        Assert.Contains(granted, g => OnTheAccount(g, "storageTableDataContributor"));
        // Nothing grants Owner, Contributor or User Access Administrator.
        var all = roles.Variables["roles"]!.AsObject().Select(r => r.Value!.GetValue<string>()).ToArray();
        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", all);
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", all);
        Assert.DoesNotContain("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", all);
    }

    [Fact]
    public void RunnerJob_LimitsAreSandboxLimitsDefault()
    {
        var defaults = SandboxLimits.Default;
        var runner = Main.ModuleParameters("plugin-runner");
        var limits = runner["sandboxLimits"]!.AsObject()
            .ToDictionary(p => p.Key, p => double.Parse(p.Value!.ToString(), CultureInfo.InvariantCulture));
        var job = infra.Module("plugin-runner-job");

        Assert.Equal(defaults.WallTime.TotalSeconds, runner["wallTimeSeconds"]!.GetValue<double>());
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
        Assert.Equal(defaults.Cpus, double.Parse(job.Parameters["cpu"]!["defaultValue"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        var configuration = job.SingleResource("Microsoft.App/jobs")["properties"]!["configuration"]!;
        Assert.Equal("Manual", configuration["triggerType"]!.GetValue<string>());
        Assert.Null(configuration["ingress"]);
    }

    [Fact]
    public void GatewayBridge_RunsExactlyOneReplica()
    {
        var bridge = infra.Module("gateway-bridge").SingleResource("Microsoft.App/containerApps")["properties"]!;

        Assert.Equal(1, bridge["template"]!["scale"]!["minReplicas"]!.GetValue<int>());
        Assert.Equal(1, bridge["template"]!["scale"]!["maxReplicas"]!.GetValue<int>());
        Assert.Null(bridge["configuration"]!["ingress"]);
    }

    [Fact]
    public void AzureYaml_EveryServiceHasItsTaggedResource()
    {
        var yaml = File.ReadAllText(Path.Combine(RepoPaths.Root, "azure.yaml"));
        var services = Regex.Match(yaml, @"(?ms)^services:\s*\n(?<body>.*?)(?=^\S|\z)").Groups["body"].Value;
        var names = Regex.Matches(services, @"(?m)^  (?<name>[a-z][a-z0-9-]*):\s*$").Select(m => m.Groups["name"].Value).Order().ToArray();
        // The modules' tags: union(tags, { 'azd-service-name': '…' }) compiles to createObject('azd-service-name', '…').
        var tagged = Main.ResourcesOfType("Microsoft.Resources/deployments")
            .Select(d => d["properties"]!["parameters"]!["tags"]?["value"]?.GetValue<string>() ?? "")
            .Select(tags => Regex.Match(tags, @"createObject\('azd-service-name', '(?<name>[^']+)'\)"))
            .Where(m => m.Success)
            .Select(m => m.Groups["name"].Value)
            .Order()
            .ToArray();

        Assert.Equal(["functions", "gateway-bridge", "plugin-runner"], names);
        Assert.Equal(names, tagged);
        // The function app is a dotnet service: azd publishes the project itself (no hook, no dist folder) and,
        // finding a UserSecretsId, leaves the project file unedited.
        Assert.Matches(@"functions:\s*\n\s*project: \./functions\s*\n\s*language: dotnet\s*\n\s*host: function\s*\n", services);
        Assert.DoesNotMatch(@"prepackage|dist:", services);
        Assert.Contains("<UserSecretsId>", File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "Serverless.Functions.csproj")));
        Assert.Matches(@"runtime: \{\s*name: 'dotnet-isolated'", Infra("modules", "function-app.bicep"));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "sandbox", "Dockerfile")));
    }

    [Fact]
    public void ParametersFile_MatchesMainBicepParameters()
    {
        var parameters = JsonNode.Parse(Infra("main.parameters.json"))!["parameters"]!.AsObject().Select(p => p.Key).ToHashSet();
        var declared = Main.Parameters;

        Assert.All(parameters, name => Assert.True(declared.ContainsKey(name), $"main.parameters.json sets {name}, which main.bicep does not declare"));
        // A parameter with no default must come from the file, or be generated by azd.
        var unprovided = declared
            .Where(p => p.Value!["defaultValue"] is null && !parameters.Contains(p.Key))
            .Where(p => p.Value!["metadata"]?["azd"]?["type"]?.GetValue<string>() != "generate")
            .Select(p => p.Key);
        Assert.Empty(unprovided);
    }
}
