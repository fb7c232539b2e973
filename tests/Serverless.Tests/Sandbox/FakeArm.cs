using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Platform.Sandbox;

namespace Serverless.Tests.Sandbox;

/// <summary>One request the fake ARM received.</summary>
public sealed record ArmCall(string Method, string Path, string? ApiVersion, string? Authorization, JsonObject? Body);

/// <summary>An execution started through the fake: its name and the env of the runner container as sent.</summary>
public sealed record ArmExecution(string Name, JsonObject Template)
{
    public IReadOnlyDictionary<string, string> RunnerEnvironment =>
        Template["containers"]![0]!["env"]!.AsArray().OfType<JsonObject>()
            .Where(e => e["value"] is not null)
            .ToDictionary(e => e["name"]!.GetValue<string>(), e => e["value"]!.GetValue<string>());
}

/// <summary>
/// Azure Resource Manager for one Container Apps job, on a loopback HTTPS port (Azure.Core sends bearer
/// tokens over TLS only), built from the documented shapes of Microsoft.App 2024-03-01: <c>GET {job}</c>
/// (Job_Get), <c>POST {job}/start</c> (Job_Start: 202 with the execution's name and id),
/// <c>GET {job}/executions/{name}</c> (Job_Execution_Get: properties.status), errors as
/// <c>{"error":{"code","message"}}</c>. What an execution does is up to the test (<see cref="OnStart"/>);
/// its status is whatever the test sets, Running by default.
/// </summary>
public sealed class FakeArm : IAsyncDisposable
{
    public const string Token = "fake-arm-token";
    public const string JobResourceId = "/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourceGroups/rg/providers/Microsoft.App/jobs/caj-runner-test";

    private readonly WebApplication app;
    private readonly X509Certificate2 certificate;
    private readonly Lock gate = new();
    private readonly List<ArmCall> calls = [];
    private readonly List<ArmExecution> executions = [];
    private readonly Dictionary<string, string> statuses = [];
    private readonly Queue<(string Operation, int Status, string Code, string Message)> faults = new();
    private int counter;

    private FakeArm(WebApplication app, X509Certificate2 certificate, Uri endpoint)
    {
        this.app = app;
        this.certificate = certificate;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>Called for each started execution, after ARM has answered.</summary>
    public Func<ArmExecution, Task>? OnStart { get; set; }

    /// <summary>The job's replicaTimeout as GET {job} reports it.</summary>
    public int ReplicaTimeoutSeconds { get; set; } = 60;

    /// <summary>Tokens and a transport that trusts only this fake's certificate.</summary>
    public ContainerAppsArmAccess Access(int maxRetries = 0) => new(new StaticToken(), new PinnedOptions(certificate, maxRetries));

    public IReadOnlyList<ArmCall> Calls
    {
        get
        {
            lock (gate)
            {
                return calls.ToList();
            }
        }
    }

    public IReadOnlyList<ArmExecution> Executions
    {
        get
        {
            lock (gate)
            {
                return executions.ToList();
            }
        }
    }

    public static async Task<FakeArm> StartAsync()
    {
        var certificate = SelfSigned();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeArm? fake = null;
        app.Run(context => fake!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        fake = new FakeArm(app, certificate, new Uri(address));
        return fake;
    }

    /// <summary>The next request to <paramref name="operation"/> (<c>get-job</c>, <c>start</c>, <c>get-execution</c>) fails like ARM does.</summary>
    public void Fail(string operation, int status, string code, string message)
    {
        lock (gate)
        {
            faults.Enqueue((operation, status, code, message));
        }
    }

    public void SetStatus(string execution, string status)
    {
        lock (gate)
        {
            statuses[execution] = status;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        certificate.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        JsonObject? body = null;
        if (request.ContentLength > 0 || request.Method == "POST")
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync();
            body = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        }
        var path = request.Path.Value ?? "";
        var call = new ArmCall(request.Method, path, request.Query["api-version"], request.Headers.Authorization.ToString(), body);
        lock (gate)
        {
            calls.Add(call);
        }

        if (call.Authorization != "Bearer " + Token)
        {
            await Error(context, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.");
            return;
        }
        if (call.ApiVersion != ContainerAppsJobsClient.ApiVersion)
        {
            await Error(context, 400, "InvalidApiVersionParameter", $"The api-version '{call.ApiVersion}' is invalid.");
            return;
        }
        var operation = (request.Method, path) switch
        {
            ("GET", JobResourceId) => "get-job",
            ("POST", JobResourceId + "/start") => "start",
            ("GET", _) when path.StartsWith(JobResourceId + "/executions/", StringComparison.Ordinal) => "get-execution",
            _ => null,
        };
        (string Operation, int Status, string Code, string Message)? armed = null;
        lock (gate)
        {
            if (faults.TryPeek(out var fault) && fault.Operation == operation)
            {
                armed = faults.Dequeue();
            }
        }
        if (armed is { } failure)
        {
            await Error(context, failure.Status, failure.Code, failure.Message);
            return;
        }
        switch (operation)
        {
            case "get-job":
                await Json(context, 200, Job());
                return;
            case "start":
                var name = $"caj-runner-test-{Interlocked.Increment(ref counter):D4}";
                var execution = new ArmExecution(name, body ?? []);
                lock (gate)
                {
                    executions.Add(execution);
                    statuses[name] = "Running";
                }
                await Json(context, 202, new JsonObject { ["id"] = $"{JobResourceId}/executions/{name}", ["name"] = name });
                if (OnStart is { } onStart)
                {
                    await onStart(execution);
                }
                return;
            case "get-execution":
                var executionName = path[(path.LastIndexOf('/') + 1)..];
                string? status;
                lock (gate)
                {
                    statuses.TryGetValue(executionName, out status);
                }
                if (status is null)
                {
                    await Error(context, 404, "ResourceNotFound", $"The Resource 'Microsoft.App/jobs/caj-runner-test/executions/{executionName}' was not found.");
                    return;
                }
                await Json(context, 200, new JsonObject
                {
                    ["id"] = $"{JobResourceId}/executions/{executionName}",
                    ["name"] = executionName,
                    ["type"] = "Microsoft.App/jobs/executions",
                    ["properties"] = new JsonObject { ["status"] = status, ["startTime"] = "2026-11-21T10:00:00+00:00" },
                });
                return;
            default:
                await Error(context, 404, "ResourceNotFound", $"No route for {request.Method} {path}");
                return;
        }
    }

    private JsonObject Job() => (JsonObject)JsonNode.Parse($$"""
        {
          "id": "{{JobResourceId}}",
          "name": "caj-runner-test",
          "type": "Microsoft.App/jobs",
          "location": "West Europe",
          "properties": {
            "provisioningState": "Succeeded",
            "configuration": {
              "triggerType": "Manual",
              "replicaTimeout": {{ReplicaTimeoutSeconds}},
              "replicaRetryLimit": 0,
              "manualTriggerConfig": { "replicaCompletionCount": 1, "parallelism": 1 }
            },
            "template": {
              "containers": [
                {
                  "name": "runner",
                  "image": "crtest.azurecr.io/plugin-runner:azd-deploy-1",
                  "resources": { "cpu": 0.5, "memory": "1Gi" },
                  "env": [
                    { "name": "AZURE_CLIENT_ID", "value": "00000000-0000-0000-0000-00000000c11d" },
                    { "name": "SANDBOX_WALL_TIME_SECONDS", "value": "10" }
                  ],
                  "probes": []
                }
              ]
            }
          }
        }
        """)!;

    private static Task Json(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        if (status == 202)
        {
            context.Response.Headers.Location = "https://management.azure.com/subscriptions/x/providers/Microsoft.App/locations/westeurope/containerappsjobOperationResults/op";
        }
        return context.Response.WriteAsJsonAsync(body);
    }

    private static Task Error(HttpContext context, int status, string code, string message) =>
        Json(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private sealed class StaticToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            requestContext.Scopes.SequenceEqual([ContainerAppsJobsClient.Scope])
                ? new AccessToken(Token, DateTimeOffset.UtcNow.AddHours(1))
                : throw new InvalidOperationException("unexpected scope " + string.Join(",", requestContext.Scopes));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class PinnedOptions : ClientOptions
    {
        public PinnedOptions(X509Certificate2 certificate, int maxRetries)
        {
            var thumbprint = certificate.Thumbprint;
            Transport = new HttpClientTransport(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == thumbprint,
            });
            Retry.MaxRetries = maxRetries;
            Retry.Delay = TimeSpan.FromMilliseconds(10);
        }
    }
}
