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
}
