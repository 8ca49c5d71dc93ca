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
    [InlineData("-out", "./-out")]
    [InlineData("-my out", "'./-my out'")]
    public void PrintedPathsComeOutAsOneShellArgument(string path, string printed) => Assert.Equal(printed, Shell.QuotePath(path));

    [Fact]
    public void AQuotedPathReadsBackAsItselfInBash()
    {
        const string path = "dir with 'quotes' and $x; `y`";
        Assert.Equal(path, Bash("printf %s " + Shell.QuotePath(path)));
    }

    [Fact]
    public void APathStartingWithADashReachesTheCommandAsAPath()
    {
        // ls would take "-l" as its option and list the current folder; it must name the file instead.
        string folder = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(folder, "-l"), "");
        Assert.Equal("./-l\n", Bash($"cd '{folder}' && ls -d " + Shell.QuotePath("-l")));
        Directory.Delete(folder, recursive: true);
    }

    private static string Bash(string command)
    {
        var bash = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", command])
            { RedirectStandardOutput = true })!;
        string output = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit();
        return output;
    }
}
