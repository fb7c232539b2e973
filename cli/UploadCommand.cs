using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Serverless.Platform.Packages;
using Serverless.Platform.Publishers;

namespace Serverless.Cli;

/// <summary>
/// <c>upload ZIP|DIR --publisher P</c>: puts the zip at <c>plugin-uploads/P/NAME.zip</c>, then waits for
/// the platform's verdict at <c>plugin-reports/P/NAME.json</c> and prints it.
/// </summary>
public static class UploadCommand
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("ZIP|DIR") { Description = "A plugin zip, or a plugin folder (packed in memory exactly as `pack` would)" };
        var publisher = new Option<string>("--publisher", "-p") { Description = "Your publisher name: letters, digits, '_', '.', '-' (the first id you publish becomes yours)", Required = true, HelpName = "PUBLISHER" };
        var name = new Option<string?>("--name", "-n") { Description = "Upload name (default: the manifest's id)", HelpName = "NAME" };
        var connection = new Option<string?>("--connection", "-c") { Description = "Storage connection string (default: $AzureWebJobsStorage, then local.settings.json, then local/up's Azurite on 127.0.0.1:10000-10002)", HelpName = "CONNECTION-STRING" };
        var key = new Option<string?>("--key", "-k") { Description = "Your publisher key (spk1.…, minted by the platform's admin; default: $PUBLISHER_KEY): upload through a grant of the app instead of a storage connection", HelpName = "PUBLISHER-KEY" };
        var url = new Option<string?>("--url") { Description = "The app that grants uploads for --key (default: $APP_URL, else http://127.0.0.1:$APP_PORT)", HelpName = "URL" };
        var wait = new Option<int>("--wait", "-w") { Description = "Seconds to wait for the report; 0 uploads without waiting", DefaultValueFactory = _ => 60, HelpName = "SECONDS" };
        var progress = new Option<bool>("--progress") { Description = "Show upload progress on stderr even when it is not a terminal" };
        var command = new Command("upload", "Upload a plugin to storage, wait for the platform's report, print it")
        {
            input,
            publisher,
            name,
            connection,
            key,
            url,
            wait,
            progress,
        };
        command.WithDetails("""
            Uploads a plugin to plugin-uploads/PUBLISHER/NAME.zip, waits for the platform to validate and
            publish it, and prints its report (plugin-reports/PUBLISHER/NAME.json). Only the report written
            for this very upload counts (its upload.etag matches the uploaded blob's), never an older one.
            With --key (or $PUBLISHER_KEY) the upload goes through the app: the publisher key buys SAS for this
            one upload and its report, so a publisher needs no storage account credentials (docs/publishers.md).
            When the platform's sandbox is unavailable, the report says "pending" with the reason: nothing is
            published yet and the platform judges the upload again by itself once the sandbox is back; upload
            keeps waiting for that verdict until --wait ends.
            Exit 0 published, 1 rejected, 3 still pending or no report within --wait (is local/up running?).
            """);
        command.SetAction((parse, cancellationToken) => RunAsync(
            console,
            new Request(parse.GetRequiredValue(input), parse.GetRequiredValue(publisher), parse.GetValue(name), parse.GetValue(connection),
                parse.GetValue(key) ?? console.GetVariable(PublisherKeyVariable), parse.GetValue(url),
                parse.GetValue(wait), parse.GetValue(progress), parse.Json()),
            cancellationToken));
        return command;
    }

    private sealed record Request(string Input, string Publisher, string? Name, string? Connection, string? Key, string? Url, int WaitSeconds, bool Progress, bool Json);

    public const string PublisherKeyVariable = "PUBLISHER_KEY";

    private static async Task<int> RunAsync(CliConsole console, Request request, CancellationToken cancellationToken)
    {
        if (request.WaitSeconds < 0)
        {
            throw CliException.Usage("--wait takes a number of seconds, 0 or more");
        }
        if (request.Key is { Length: > 0 } && request.Connection is { Length: > 0 })
        {
            throw CliException.Usage("--key and --connection are two ways to reach storage; give one");
        }
        var validator = PackageSource.Validator(console);
        var source = PackageSource.Open(console, request.Input, validator.Limits);
        if (source.Packed is { Refused.Count: > 0 } refused)
        {
            // Uploading would silently drop these files; pack and validate say which.
            throw new CliException(ExitCodes.Failed, $"'{source.Path}' holds files that cannot be packed: {string.Join(", ", refused.Refused.Select(issue => issue.Path))}; run `local/plugin validate {request.Input}` for details");
        }
        var upload = Target(source, request, validator);

        var destination = request.Key is { Length: > 0 } key
            ? await GrantedAsync(console, request, upload, key, cancellationToken)
            : FromConnection(console, request, upload);
        var where = $"{UploadRef.Container}/{upload.BlobName}";
        var human = !request.Json;

        ETag etag;
        try
        {
            if (destination.CreateContainer)
            {
                await destination.Upload.GetParentBlobContainerClient().CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            }
            etag = await UploadAsync(console, destination.Upload, source, request.Progress, cancellationToken);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            throw CliException.Unavailable($"cannot reach storage at {destination.Endpoint} (from {destination.From}): {ex.Message}. Is local/up running? It starts Azurite; or pass --connection");
        }
        catch (RequestFailedException ex) when (ex.Status == 403 && request.Key is { Length: > 0 })
        {
            throw new CliException(ExitCodes.Failed, $"storage refused the upload to {where} with the granted SAS ({ex.ErrorCode}): it may have expired ({UploadGrants.UploadLifetime.TotalMinutes:0} min); run the upload again");
        }
        catch (RequestFailedException ex)
        {
            throw new CliException(ExitCodes.Failed, $"storage refused the upload to {where} ({ex.Status} {ex.ErrorCode}): {ex.Message}");
        }
        var uploaded = new JsonObject { ["blob"] = where, ["etag"] = UploadProcessor.ReportETag(etag), ["bytes"] = source.Length };
        if (human)
        {
            console.Error.WriteLine($"uploaded {Output.Size(source.Length)} to {where} on {destination.Endpoint}");
        }
        if (request.WaitSeconds == 0)
        {
            if (request.Json)
            {
                Output.WriteJson(console.Out, new JsonObject { ["status"] = "uploaded", ["upload"] = uploaded });
            }
            else
            {
                console.Out.WriteLine($"uploaded; the report will appear at {UploadProcessor.ReportsContainer}/{UploadProcessor.ReportBlobName(upload)}");
            }
            return ExitCodes.Ok;
        }

        if (human)
        {
            console.Error.WriteLine($"waiting up to {request.WaitSeconds} s for the platform's report ({UploadProcessor.ReportsContainer}/{UploadProcessor.ReportBlobName(upload)})");
        }
        var reportName = $"{UploadProcessor.ReportsContainer}/{UploadProcessor.ReportBlobName(upload)}";
        var report = await WaitForReportAsync(destination.Report, etag, TimeSpan.FromSeconds(request.WaitSeconds), pending =>
        {
            if (human)
            {
                console.Error.WriteLine("the verdict is pending: the platform's sandbox is unavailable; waiting for it to be judged again…");
            }
        }, cancellationToken);
        if (report?["status"]?.GetValue<string>() == "pending")
        {
            // The platform got the upload and will judge it: say so, not that local/up may be down.
            var message = $"the verdict on this upload is still pending after {request.WaitSeconds} s, because the platform's sandbox is unavailable (the report above says why). " +
                $"Nothing is published yet; the platform judges the upload again by itself once the sandbox is back. See the final verdict in {reportName} " +
                $"(the dev portal's upload reports, or GET /api/admin/reports/{upload.Publisher}/{upload.Name}), or run this upload again with a longer --wait";
            if (request.Json)
            {
                Output.WriteJson(console.Out, report);
                return ExitCodes.Unavailable;
            }
            ReportPrinter.Print(console, report, where);
            throw CliException.Unavailable(message);
        }
        if (report is null)
        {
            var message = $"no report for this upload after {request.WaitSeconds} s. Is local/up running? Its packages function (a blob trigger, locally and in Azure) validates and publishes uploads. Try again with a longer --wait, or look for {UploadProcessor.ReportsContainer}/{UploadProcessor.ReportBlobName(upload)} later";
            if (request.Json)
            {
                Output.WriteJson(console.Out, new JsonObject { ["status"] = "timeout", ["upload"] = uploaded, ["exitCode"] = ExitCodes.Unavailable, ["message"] = message });
                return ExitCodes.Unavailable;
            }
            throw CliException.Unavailable(message);
        }
        if (request.Json)
        {
            Output.WriteJson(console.Out, report);
        }
        else
        {
            ReportPrinter.Print(console, report, where);
        }
        return report["status"]?.GetValue<string>() == "published" ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>Where the zip goes and where its report is read, with what the messages name.</summary>
    private sealed record Destination(BlobClient Upload, BlobClient Report, string Endpoint, string From, bool CreateContainer);

    /// <summary>Storage did not answer at all, even after the client's retries.</summary>
    private static bool IsUnreachable(Exception ex) => ex switch
    {
        RequestFailedException { Status: 0 } => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsUnreachable),
        _ => false,
    };

    /// <summary>The operator's way: a storage connection string with rights over the whole account.</summary>
    private static Destination FromConnection(CliConsole console, Request request, UploadRef upload)
    {
        var (connectionString, from) = request.Connection is { Length: > 0 } given ? (given, "--connection") : StorageConnection.Resolve(console);
        BlobServiceClient blobs;
        try
        {
            blobs = new BlobServiceClient(connectionString, Options());
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw CliException.Usage($"the storage connection string from {from} is not usable: {ex.Message}");
        }
        return new Destination(
            blobs.GetBlobContainerClient(UploadRef.Container).GetBlobClient(upload.BlobName),
            blobs.GetBlobContainerClient(UploadProcessor.ReportsContainer).GetBlobClient(UploadProcessor.ReportBlobName(upload)),
            blobs.Uri.GetLeftPart(UriPartial.Authority), from, CreateContainer: true);
    }

    /// <summary>
    /// A publisher's way (docs/publishers.md): the publisher key buys, from the app, SAS for exactly this
    /// upload and its report; nothing else in storage is reachable with them.
    /// </summary>
    private static async Task<Destination> GrantedAsync(CliConsole console, Request request, UploadRef upload, string key, CancellationToken cancellationToken)
    {
        var baseUrl = StatusCommand.BaseUrl(console, request.Url);
        if (!Uri.TryCreate($"{baseUrl}/api/publishers/{upload.Publisher}/uploads/{upload.Name}", UriKind.Absolute, out var grantUrl) || grantUrl.Scheme is not ("http" or "https"))
        {
            throw CliException.Usage($"'{baseUrl}' is not an http(s) URL (--url or APP_URL)");
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var ask = new HttpRequestMessage(HttpMethod.Post, grantUrl);
        ask.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        JsonObject? grant;
        string text;
        System.Net.HttpStatusCode status;
        try
        {
            using var answer = await http.SendAsync(ask, cancellationToken);
            status = answer.StatusCode;
            text = await answer.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw CliException.Unavailable($"cannot reach the app at {baseUrl} to trade the publisher key for an upload grant: {ex.Message}. Is it running (local/up), and is --url right?");
        }
        try
        {
            grant = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            grant = null;
        }
        var message = grant?["error"]?.GetValue<string>() ?? (text.Length > 200 ? text[..200] : text);
        if (status == System.Net.HttpStatusCode.Unauthorized)
        {
            throw CliException.Usage($"the app refused the publisher key for '{upload.Publisher}': {message}");
        }
        if ((int)status is < 200 or >= 300 || grant?["upload"]?["url"]?.GetValue<string>() is not { } uploadUrl || grant["report"]?["url"]?.GetValue<string>() is not { } reportUrl)
        {
            throw new CliException((int)status >= 500 ? ExitCodes.Unavailable : ExitCodes.Failed, $"POST {grantUrl.AbsolutePath} answered {(int)status}: {message}");
        }
        var uploadBlob = SasBlob(uploadUrl, UploadRef.Container, upload.BlobName);
        return new Destination(uploadBlob, SasBlob(reportUrl, UploadProcessor.ReportsContainer, UploadProcessor.ReportBlobName(upload)),
            new Uri(uploadUrl).GetLeftPart(UriPartial.Authority), $"the grant of {baseUrl}", CreateContainer: false);
    }

    /// <summary>A client for one blob reached through its SAS URL (path-style Azurite URLs included).</summary>
    private static BlobClient SasBlob(string url, string container, string blobName)
    {
        var uri = new Uri(url);
        var path = uri.GetLeftPart(UriPartial.Path);
        var suffix = $"/{container}/";
        var at = path.LastIndexOf(suffix, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new CliException(ExitCodes.Failed, $"the app granted a URL outside {container}: {uri.GetLeftPart(UriPartial.Path)}");
        }
        var endpoint = path[..at];
        return new BlobServiceClient(new Uri(endpoint), new AzureSasCredential(uri.Query.TrimStart('?')), Options())
            .GetBlobContainerClient(container).GetBlobClient(blobName);
    }

    private static BlobClientOptions Options()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 2;
        return options;
    }

    /// <summary>Where the upload goes: --name, else the manifest's id, else the file or folder name.</summary>
    private static UploadRef Target(PackageSource source, Request request, PackageValidator validator)
    {
        if (UploadRef.FromBlobName($"{request.Publisher}/x.zip") is null)
        {
            throw CliException.Usage($"'{request.Publisher}' is not a publisher name: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        var name = request.Name;
        if (name is null)
        {
            name = source.Validate(validator).Manifest?.Id;
            if (name is null)
            {
                var fallback = source.FallbackId;
                name = UploadRef.IsValidSegment(fallback)
                    ? fallback
                    : throw CliException.Usage($"cannot tell the plugin id (the manifest is missing or invalid) and '{fallback}' is no upload name; pass --name");
            }
        }
        return UploadRef.FromBlobName($"{request.Publisher}/{name}.zip")
            ?? throw CliException.Usage($"'{name}' is not an upload name: use 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }

    private static async Task<ETag> UploadAsync(CliConsole console, BlobClient blob, PackageSource source, bool forceProgress, CancellationToken cancellationToken)
    {
        const int MiB = 1024 * 1024;
        var show = forceProgress || (console.ErrorIsTerminal && source.Length >= MiB);
        await using var zip = source.OpenZip();
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/zip" } };
        if (!show)
        {
            return (await blob.UploadAsync(zip, options, cancellationToken)).Value.ETag;
        }
        // Smaller blocks so the line moves; each block is read just before it is sent.
        options.TransferOptions = new StorageTransferOptions { InitialTransferSize = MiB, MaximumTransferSize = MiB, MaximumConcurrency = 1 };
        var clock = Stopwatch.StartNew();
        var progress = new ProgressStream(zip, source.Length, (sent, total) =>
        {
            var percent = total == 0 ? 100 : sent * 100 / total;
            var line = $"uploading {Output.Size(sent)} / {Output.Size(total)} ({percent}%)";
            if (console.ErrorIsTerminal)
            {
                console.Error.Write("\r" + line + "\e[K");
            }
            else
            {
                console.Error.WriteLine(line);
            }
        });
        var etag = (await blob.UploadAsync(progress, options, cancellationToken)).Value.ETag;
        var done = $"uploaded {Output.Size(source.Length)} in {clock.Elapsed.TotalSeconds:0.0} s";
        console.Error.WriteLine(console.ErrorIsTerminal ? "\r" + done + "\e[K" : done);
        return etag;
    }

    /// <summary>
    /// Polls the report blob until one written for this upload (same ETag) gives the verdict. A pending one is
    /// passed to <paramref name="pending"/> once and waited past; at the deadline it is what is returned.
    /// </summary>
    public static async Task<JsonObject?> WaitForReportAsync(BlobClient report, ETag etag, TimeSpan wait, Action<JsonObject> pending, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        JsonObject? last = null;
        while (true)
        {
            try
            {
                var content = await report.DownloadContentAsync(cancellationToken);
                if (JsonNode.Parse(content.Value.Content.ToString()) is JsonObject document
                    && document["upload"]?["etag"]?.GetValue<string>() is { } reported
                    && SameETag(reported, etag.ToString()))
                {
                    if (document["status"]?.GetValue<string>() != "pending")
                    {
                        return document;
                    }
                    if (last is null)
                    {
                        pending(document);
                    }
                    last = document;
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // No report yet (or no reports container yet).
            }
            catch (JsonException)
            {
                // Not ours to judge; keep waiting for one that parses.
            }
            if (deadline.Elapsed >= wait)
            {
                return last;
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <summary>Headers quote ETags and listings may not; compare the opaque value.</summary>
    public static bool SameETag(string a, string b) => Normalize(a) == Normalize(b);

    private static string Normalize(string etag) => (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim('"');

    /// <summary>Reports how much of a stream has been read.</summary>
    private sealed class ProgressStream(Stream inner, long total, Action<long, long> report) : Stream
    {
        private long _read;
        private long _reported = -1;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            // At most one line per 256 KiB, and always the last.
            if (_read - _reported >= 256 * 1024 || (_read == total && _reported != _read))
            {
                _reported = _read;
                report(_read, total);
            }
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
