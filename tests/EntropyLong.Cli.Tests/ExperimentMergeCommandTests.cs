using System.Text.Json.Nodes;
using EntropyLong.Eval.Ablation;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class ExperimentMergeCommandTests
{
    /// <summary>A finished experiment folder holding only its ablation.json: one seed of two arms.</summary>
    private static string Experiment(int seed, double entropylong, double random)
    {
        string dir = CliRunner.TempDir();
        var run = new AblationRun(["none", "entropylong", "random"], [seed], new AblationSettings(600_000, 37, 8, 2048, 40000, 1000, 50, "/m/default.gguf", null),
        [
            new("none", 0, "vt", 1024, 58), new("entropylong", seed, "vt", 1024, entropylong), new("entropylong", seed, "vt", 2048, entropylong - 10),
            new("random", seed, "vt", 1024, random), new("random", seed, "vt", 2048, random - 10),
        ]);
        File.WriteAllText(Path.Combine(dir, "ablation.json"), run.ToJson().ToJsonString());
        return dir;
    }

    [Fact]
    public void TwoSeedsRunInTwoFoldersMakeOneTableWithIntervals()
    {
        string out_ = Path.Combine(CliRunner.TempDir(), "merged");
        var (code, text, err) = CliRunner.Run("experiment", "merge", Experiment(1, 46, 42), Path.Combine(Experiment(2, 48, 42), "ablation.json"), "--out", out_);
        Assert.True(code == 0, err);
        Assert.Contains("Seeds 1, 2; 37 steps x 8 windows of 2048 tokens per run", text);
        // The RULER average over tasks comes first (one task here, so it is that task's), then each task.
        Assert.True(text.IndexOf("| ruler_average | 1024 | 2048 |", StringComparison.Ordinal) is > 0 and var average
                    && average < text.IndexOf("| vt | 1024 | 2048 |", StringComparison.Ordinal), text);
        Assert.Contains("| entropylong | 47.00 ± 12.71 | 37.00 ± 12.71 |", text);
        Assert.Contains("| random | 42.00 ± 0.00 | 32.00 ± 0.00 |", text);
        Assert.Contains("| none | 58.00 | - |", text);
        // Paired by seed: entropylong minus random is 4 in seed 1 and 6 in seed 2, at both lengths.
        Assert.Contains("## Paired by seed: entropylong minus each arm", text);
        Assert.Contains("| ruler_average: entropylong minus | 1024 | 2048 |\n|---|---|---|\n| random | 5.00 ± 12.71 | 5.00 ± 12.71 |", text);
        Assert.Equal(text, File.ReadAllText(Path.Combine(out_, "ablation.md")));
        Assert.True(new FileInfo(Path.Combine(out_, "ablation.png")).Length > 0);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(out_, "ablation.json")))!;
        Assert.Equal([1, 2], json["seeds"]!.AsArray().Select(s => (int)s!));
    }

    [Fact]
    public void AFolderWithoutATableOrAFileThatIsNotOneIsNamed()
    {
        string unfinished = CliRunner.TempDir(), out_ = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run("experiment", "merge", Experiment(1, 46, 42), unfinished, "--out", out_);
        Assert.Equal(3, code);
        Assert.Equal($"error: {Path.Combine(unfinished, "ablation.json")}: not found (an experiment writes ablation.json when every stage is done)", err.Trim());

        string broken = Path.Combine(unfinished, "ablation.json");
        File.WriteAllText(broken, "{\"arms\": [\n");
        (code, _, err) = CliRunner.Run("experiment", "merge", Experiment(1, 46, 42), broken, "--out", out_);
        Assert.Equal(3, code);
        // Placed at its line counted from 1, without the parser's 0-based "LineNumber".
        Assert.StartsWith($"error: {broken}:2: invalid JSON", err.Trim());
        Assert.DoesNotContain("LineNumber", err);
        Assert.False(File.Exists(Path.Combine(out_, "ablation.json")));
    }

    [Fact]
    public void OutNamingOneOfTheRunsIsRefusedAndItsTableKept()
    {
        string a = Experiment(1, 46, 42), b = Experiment(2, 48, 42), table = Path.Combine(a, "ablation.json");
        byte[] before = File.ReadAllBytes(table);
        foreach (string[] runs in new[] { new[] { a, b }, [table, b] })
        {
            var (code, _, err) = CliRunner.Run(["experiment", "merge", .. runs, "--out", a + "/"]);
            Assert.Equal(2, code);
            Assert.Equal($"error: --out {a}/ is inside {a}, which this command reads; writing there could overwrite its files", err.Trim());
            Assert.Equal(before, File.ReadAllBytes(table));
        }
    }
}
