using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.LocalStack;

/// <summary>
/// <c>local/up</c> end to end, as CI or a person would run it: a fresh state folder, no terminal,
/// stdin closed. It must serve a healthy <c>/api/health</c> and stop everything on SIGTERM.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class LocalUpTests
{
    [Fact(Timeout = 600_000)]
    public async Task LocalUp_FreshStateWithoutTerminal_ServesHealthyThenStopsOnSigterm()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        if (!Infrastructure.Docker.IsReachable() && !RepoPaths.InCi)
        {
            Assert.Skip("no Docker engine reachable (local/test starts one; under CI=true this fails instead)");
        }
        var state = Directory.CreateTempSubdirectory("local-up-").FullName;
        int appPort = FreePorts.Next(), blobPort = FreePorts.Next(), queuePort = FreePorts.Next(), tablePort = FreePorts.Next();
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "local", "up")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.Environment["LOCAL_STATE_DIR"] = state;
        start.Environment["APP_PORT"] = appPort.ToString();
        start.Environment["AZURITE_BLOB_PORT"] = blobPort.ToString();
        start.Environment["AZURITE_QUEUE_PORT"] = queuePort.ToString();
        start.Environment["AZURITE_TABLE_PORT"] = tablePort.ToString();
        foreach (var inherited in new[] { "AzureWebJobsStorage", "DISCORD_PUBLIC_KEY", "ADMIN_API_KEY" })
        {
            start.Environment.Remove(inherited);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            JsonObject? health = null;
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    var response = await http.GetAsync($"http://127.0.0.1:{appPort}/api/health", cancellationToken);
                    health = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?.AsObject();
                    if (health?["status"]?.GetValue<string>() == "healthy")
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(500, cancellationToken);
            }

            Assert.True(health?["status"]?.GetValue<string>() == "healthy", $"health: {health?.ToJsonString()}\n{output}");
            Assert.NotNull(health!["checks"]!["storage"]);
            Assert.NotNull(health["checks"]!["queue"]);
            Assert.Equal("local", health["host"]?.GetValue<string>());
            Assert.True(File.Exists(Path.Combine(state, "dev-secrets.env")), "no generated dev secrets");
            // local/up prints its summary once its own health poll turns green, a moment after ours may.
            for (var i = 0; i < 50 && !output.ToString().Contains("Platform running"); i++)
            {
                await Task.Delay(200, cancellationToken);
            }
            Assert.Contains("Platform running", output.ToString());

            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stopped.CancelAfter(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(stopped.Token);
            await Task.Delay(500, cancellationToken);

            Assert.False(FreePorts.IsListening(appPort), "the function app still listens after SIGTERM");
            Assert.False(FreePorts.IsListening(blobPort), "Azurite still listens after SIGTERM");
            // The app stops before Azurite, so its triggers release their locks and it exits without a crash.
            var appLog = File.ReadAllText(Path.Combine(state, "app.log"));
            Assert.Contains("Job host stopped", appLog);
            Assert.DoesNotContain("Unhandled exception", appLog);
            Assert.Contains("stopped", output.ToString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            Directory.Delete(state, recursive: true);
        }
    }
}
