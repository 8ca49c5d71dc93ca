namespace EntropyLong.Cli.Tests;

public class ShellTests
{
    [Theory]
    [InlineData("out/build", "out/build")]
    [InlineData("/tmp/run-1/out_b.2", "/tmp/run-1/out_b.2")]
    [InlineData("with space/out b", "'with space/out b'")]
    [InlineData("it's", @"'it'\''s'")]
    [InlineData("a;rm -rf x", "'a;rm -rf x'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("", "''")]
    public void PrintedPathsComeOutAsOneShellArgument(string path, string printed) => Assert.Equal(printed, Shell.Quote(path));

    [Fact]
    public void AQuotedPathReadsBackAsItselfInBash()
    {
        const string path = "dir with 'quotes' and $x; `y`";
        var bash = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", "printf %s " + Shell.Quote(path)])
            { RedirectStandardOutput = true })!;
        string echoed = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit();
        Assert.Equal(path, echoed);
    }
}
