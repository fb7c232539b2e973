using Serverless.Cli;

namespace Serverless.Tests.Cli;

public sealed class OutputTests
{
    [Fact]
    public void Printable_EveryControlCharacter_ShownAsAVisibleEscape()
    {
        var controls = Enumerable.Range(0, 0x20).Append(0x7f).Concat(Enumerable.Range(0x80, 0x20)).Append(0x2028).Append(0x2029)
            .Where(c => c is not '\t' and not '\n').Select(c => (char)c).ToArray();

        var printed = Output.Printable("a" + new string(controls) + "z");

        Assert.Equal(-1, printed.IndexOfAny(controls));
        Assert.StartsWith(@"a\x00\x01", printed);
        Assert.Contains(@"\x1b", printed);
        Assert.Contains(@"\x0d", printed);
        Assert.Contains(@"\x7f\u0080", printed);
        Assert.EndsWith(@"\u009f\u2028\u2029z", printed);
    }

    [Fact]
    public void Printable_NewlineAndTab_TabKeptNewlineEscapedOrIndented()
    {
        Assert.Equal("a\tb", Output.Printable("a\tb"));
        Assert.Equal(@"one\nINFO two", Output.Printable("one\nINFO two"));
        Assert.Equal("one\n    INFO two", Output.Printable("one\nINFO two", "    "));
        Assert.Equal("héllo 🎉", Output.Printable("héllo 🎉"));
    }
}
