using System.Diagnostics;
using Serverless.Tests.Infrastructure;

namespace Serverless.Tests.LocalStack;

/// <summary>
/// <c>local/up</c> names its stack (<c>SANDBOX_PLATFORM_NAME</c>) after its state folder and storage, so a
/// second stack on the machine (another <c>LOCAL_STATE_DIR</c>, other Azurite ports) neither labels its
/// sandbox containers like the first nor shares its plugin cache.
/// </summary>
public sealed class StackNameTests
{
    [Fact]
    public async Task DefaultStackName_OtherStateFolderOrStorage_Differs()
    {
        var first = await NameAsync("/srv/a/.local", "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
        var again = await NameAsync("/srv/a/.local", "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
        var otherFolder = await NameAsync("/srv/b/.local", "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
        var otherPorts = await NameAsync("/srv/a/.local", "BlobEndpoint=http://127.0.0.1:20000/devstoreaccount1;");

        Assert.Matches("^serverless-[0-9a-f]{10}$", first);
        Assert.Equal(first, again);
        Assert.Equal(3, new[] { first, otherFolder, otherPorts }.Distinct().Count());
    }

    private static async Task<string> NameAsync(string stateDir, string storage)
    {
        var start = new ProcessStartInfo("bash", ["-c", """source "$1/local/lib.sh"; default_stack_name "$2" """, "name", RepoPaths.Root, storage])
        {
            RedirectStandardOutput = true,
        };
        start.Environment["LOCAL_STATE_DIR"] = stateDir;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }
}
