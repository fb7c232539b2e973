using Serverless.Platform.Hosting;

namespace Serverless.Tests.Hosting;

public class PlatformSettingsTests
{
    [Fact]
    public void ReadValues_LocalSettingsFile_ReturnsValuesSection()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{ "IsEncrypted": false, "Values": { "DISCORD_APPLICATION_ID": "123", "Number": 5 } }""");
        try
        {
            var values = PlatformSettings.ReadValues(path);
            Assert.Equal("123", values["DISCORD_APPLICATION_ID"]);
            Assert.Equal("5", values["Number"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
