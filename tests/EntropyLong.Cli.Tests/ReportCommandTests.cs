using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class ReportCommandTests
{
    /// <summary>A finished build in miniature: one document read, no sequence written, and stats.json counting
    /// <paramref name="sequences"/> sequences.</summary>
    private static string Build(long sequences)
    {
        string dir = CliRunner.TempDir();
        using (var w = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
        {
            w.Write(new DetailsRecord("d1", "no_anchor", ["", "The ", "cat"], [null, 1, 5], 3, []));
            w.Complete();
        }
        using (var w = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) w.Complete();
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Config), new Dictionary<string, object> { ["details"] = true });
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = 1, Sequences = sequences });
        return dir;
    }

    [Fact]
    public void ASequencesFileWhoseCountDiffersFromStatsIsRefusedBeforeAnythingIsWritten()
    {
        string build = Build(sequences: 0);
        var (code, _, err) = CliRunner.Run("report", build);
        Assert.True(code == 0, err);

        // An emptied sequences.jsonl (or one from another build) beside stats.json counting 3 sequences.
        build = Build(sequences: 3);
        string expected = $"error: {Path.Combine(build, BuildFolder.Sequences)}: 0 records, but {Path.Combine(build, BuildFolder.Stats)} counts 3 sequences; " +
                          "they are not from the same build";
        string report = Path.Combine(build, "report");
        (code, _, err) = CliRunner.Run("report", build, "--out", report);
        Assert.Equal((3, expected), (code, err.Trim()));
        Assert.False(Directory.Exists(report));

        // build --match reads the baseline's placements from the same file, before the model is loaded.
        string index = CliRunner.TempDir(), output = Path.Combine(CliRunner.TempDir(), "out");
        (code, _, err) = CliRunner.Run("build", "--index", index, "--out", output, "--method", "retrieval", "--match", build);
        Assert.Equal((3, expected), (code, err.Trim()));
        Assert.False(Directory.Exists(output));
    }
}
