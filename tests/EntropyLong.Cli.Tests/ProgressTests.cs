namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class ProgressTests
{
    [Fact]
    public void PlainLinesShowAnEtaOnlyOnceARateIsMeasured()
    {
        var now = TimeSpan.Zero;
        var (_, _, err) = CliRunner.Capture(() =>
        {
            var lines = new Progress.Lines(() => now);
            lines.Report("building", 0.01, "block 1 in verification");          // first report: no rate yet
            now = TimeSpan.FromSeconds(3);
            lines.Report("other", 0.02);                                          // another task: its own first report
            now = TimeSpan.FromSeconds(12);
            lines.Report("building", 0.10, "block 2 in entropy");                 // 0.09 in 12 s: 0.90 left takes 120 s
            now = TimeSpan.FromSeconds(13);
            lines.Report("building", 0.11);                                       // within 10 s of the last line: quiet
            lines.Report("building", 1.0);                                        // the end is always said, without an ETA
            lines.Report("building", 1.0);                                        // said once
            lines.Report("building", 1.0, "9 sequences");                         // and again when its counts change
            return 0;
        });
        var said = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "[00:00:00] building: block 1 in verification (1%)",
            "[00:00:00] other (2%)",
            "[00:00:12] building: block 2 in entropy (10%, eta 00:02:00)",
            "[00:00:13] building (100%)",
            "[00:00:13] building: 9 sequences (100%)",
        ], said);
    }

    [Fact]
    public void AResultLineOnARedirectedStdoutIsWrittenWholeWithoutMarkup()
    {
        // `merge` printed its "merged N shards into DIR/ (...)" line through Spectre, which wrapped it at 80 columns.
        Assert.True(Console.IsOutputRedirected, "the test needs the test host's stdout redirected, as a log's is");
        string path = "/data/" + new string('x', 150) + "/[out]";
        var (_, stdout, _) = CliRunner.Capture(() =>
        {
            Stdout.MarkupLine($"merged 3 shards into [bold]{Spectre.Console.Markup.Escape(path)}[/]/ (sequences: sequences.jsonl)");
            return 0;
        });
        Assert.Equal($"merged 3 shards into {path}/ (sequences: sequences.jsonl)\n", stdout);
    }

    [Fact]
    public void NoCommandWritesALineThroughSpectresWrappingConsole()
    {
        // Its lines wrap at 80 columns when the output is redirected: Stdout.MarkupLine, Console.WriteLine or Progress.Say.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!Directory.Exists(Path.Combine(root.FullName, "src", "EntropyLong.Cli"))) root = root.Parent!;
        var offenders = Directory.GetFiles(Path.Combine(root.FullName, "src", "EntropyLong.Cli"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && Path.GetFileName(f) != "Stdout.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => System.Text.RegularExpressions.Regex.IsMatch(x.line, @"\bAnsiConsole\.(MarkupLine|WriteLine|Markup)\("))
            .Select(x => $"{Path.GetRelativePath(root.FullName, x.f)}:{x.i + 1}: {x.line.Trim()}");
        Assert.Empty(offenders);
    }
}
