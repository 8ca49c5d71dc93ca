using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using EntropyLong.TestSupport;

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
    public void TheReadmeListsEveryKeyAConfigFileAccepts()
    {
        // min_document_gain was accepted but left out of the list.
        string readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var list = Regex.Match(readme, @"A config file holds the same hyperparameters in snake_case \((?<keys>[^)]*)\)");
        Assert.True(list.Success, "README.md no longer says 'A config file holds the same hyperparameters in snake_case (...)'");
        var listed = Regex.Matches(list.Groups["keys"].Value, "`([a-z_]+)`").Select(m => m.Groups[1].Value).Order();
        Assert.Equal(ConfigFile.Keys.Keys.Order(), listed);
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
    public void TheToolPackageCarriesTheDefaultModelAndSampleCorpusBesideTheProgram()
    {
        // An installed tool has no checkout above it: without these, every command's defaults named a missing file.
        string root = Root(), output = Scratch.NewDirectory("pack");
        var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", Path.Combine(root, "src", "EntropyLong.Cli"), "-c", "Release", "-o", output, "-v", "quiet", "-nologo"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        string log = pack.StandardOutput.ReadToEnd() + pack.StandardError.ReadToEnd();
        pack.WaitForExit();
        Assert.True(pack.ExitCode == 0, log);
        try
        {
            using var package = ZipFile.OpenRead(Directory.GetFiles(output, "EntropyLong.*.nupkg").Single());
            string program = package.Entries.Single(e => e.Name == "entropylong.dll").FullName;
            string beside = program[..^"entropylong.dll".Length];
            foreach (string file in new[] { "data/models/default.gguf", "data/sample/corpus.jsonl.gz", "data/sample/README.md" })
            {
                var entry = package.GetEntry(beside + file);
                Assert.True(entry is not null, $"{beside + file} is not in the package");
                using var packed = new MemoryStream();
                using (var stream = entry.Open()) stream.CopyTo(packed);
                Assert.True(packed.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(root, file))), file);
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void TheDefaultsAreFoundBesideTheInstalledToolOrAboveTheCheckoutsBuild()
    {
        string scratch = Scratch.NewDirectory("home");
        string Folder(params string[] parts) => Directory.CreateDirectory(Path.Combine([scratch, .. parts])).FullName;
        string tool = Folder("tools", "entropylong", "any"), checkout = Folder("checkout"), build = Folder("checkout", ".build", "cli"), elsewhere = Folder("elsewhere");
        Folder("tools", "entropylong", "any", "data", "sample");
        Folder("checkout", "data", "sample");
        Assert.Equal(tool, Cli.Defaults.FindHome(tool, elsewhere));
        Assert.Equal(checkout, Cli.Defaults.FindHome(build, elsewhere));
        Assert.Equal(checkout, Cli.Defaults.FindHome(elsewhere, Path.Combine(checkout, "data")));
        Assert.Equal(elsewhere, Cli.Defaults.FindHome(elsewhere, elsewhere));
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
