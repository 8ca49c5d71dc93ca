using System.Text.RegularExpressions;

namespace EntropyLong.Cli.Tests;

/// <summary>What the README promises about running the project.</summary>
public class RepositoryTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(dir.FullName, ".ci"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (README.md, .ci/) is not above " + AppContext.BaseDirectory);
    }

    private static string[] QuickStart()
    {
        string readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var block = Regex.Match(readme, @"## Quick start\s+```bash\n(?<body>.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "README.md has no ```bash block under '## Quick start'");
        return block.Groups["body"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void TheQuickStartIsTwoCommandsAndCiRunsItsTestCommand()
    {
        var commands = QuickStart();
        Assert.Equal(2, commands.Length);
        string test = commands[1].Trim();
        var ci = File.ReadAllLines(Path.Combine(Root(), ".ci", "run")).Select(l => l.Trim()).Where(l => !l.StartsWith('#'));
        Assert.Contains(ci, line => line == test || line.StartsWith(test + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void TheTestCommandInstallsWhatTheTestsNeedOrSaysWhatIsMissing()
    {
        string test = QuickStart()[1].Trim();
        Assert.StartsWith("./", test);
        string script = File.ReadAllText(Path.Combine(Root(), test[2..].Split(' ')[0]));
        foreach (string package in new[] { "chromium", "slurmctld", "slurmd", "slurm-client", "munge" }) Assert.Contains(package, script);
        Assert.Contains("apt-get install", script);
        Assert.Contains("dotnet test EntropyLong.slnx", script);
    }
}
