using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Functions.Hosting;
using Serverless.Functions.Packages;
using Serverless.Tests.Infrastructure;
using Serverless.Tests.Packages.Fixtures;
using Serverless.Tests.Sandbox;

namespace Serverless.Tests.Hosting;

/// <summary>The blob trigger's custom-handler payload, as the Functions host sends it (over loopback, to the app under the host), against a real Azurite.</summary>
[Collection("Docker")]
public sealed class BlobTriggerContractTests(Azurite azurite, DockerFixture docker)
{
    [Fact]
    public async Task Packages_BlobTriggerPayload_PublishesAndAnswersHostFormat()
    {
        docker.Require();
        await using var app = FunctionsHostApp.Start(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("SANDBOX_PLATFORM_NAME", docker.PlatformName);
        });
        var blobs = azurite.Blobs;
        await new StorageLayout(blobs, azurite.Queues, azurite.Tables, NullLogger<StorageLayout>.Instance).EnsureAsync(CancellationToken.None);
        var id = "c" + Guid.NewGuid().ToString("N")[..12];
        var blob = blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient($"acme/{id}.zip");
        var info = await blob.UploadAsync(BinaryData.FromBytes(PluginZip.Greet(id)), overwrite: true);
        // The host's payload for blobTrigger "plugin-uploads/{publisher}/{name}.zip": binding data plus path parameters and blob properties.
        var payload = $$"""
            {
              "Data": { "upload": "UEsDBA==" },
              "Metadata": {
                "publisher": "acme",
                "name": "{{id}}",
                "BlobTrigger": "plugin-uploads/acme/{{id}}.zip",
                "Uri": "{{blob.Uri}}",
                "Properties": { "ETag": "{{UploadProcessor.ReportETag(info.Value.ETag)}}", "Length": 1234, "ContentType": "application/zip" },
                "sys": { "MethodName": "packages", "UtcNow": "2026-11-21T10:00:00Z", "RandGuid": "0f8fad5b-d9cb-469f-a165-70867728950e" }
              }
            }
            """;

        var response = await app.Host.PostAsync("/packages", new StringContent(payload, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.IsType<JsonObject>(body["Outputs"]);
        Assert.Equal("published", body["ReturnValue"]!["status"]!.GetValue<string>());
        Assert.Equal(id, body["ReturnValue"]!["plugin"]!["id"]!.GetValue<string>());
        Assert.Contains("published", body["Logs"]![0]!.GetValue<string>());
    }
}
