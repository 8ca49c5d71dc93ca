using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

/// <summary>Reruns of `experiment ablation` in a folder that holds an earlier run, checked before any stage starts, so a
/// faked earlier run stands in for a real one.</summary>
[Collection(CliRunner.Name)]
public class ExperimentAblationCommandTests
{
    private readonly string _model = TinyModels.Get(context: 1024).Path, _corpus = Path.Combine(CliRunner.TempDir(), "corpus.jsonl");

    /// <summary>40 documents, "doc3" and "doc22" in the held-out split the experiment evaluates on.</summary>
    public ExperimentAblationCommandTests() =>
        File.WriteAllLines(_corpus, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { id = $"doc{i}", text = $"Document {i}." })));

    // A refused rerun prints its error alone, not the opening line of a run that does not start.
    private static string Only(string err) => Assert.Single(err.Trim().Split('\n'));

    private string[] Ablation(string dir, params string[] options) =>
        ["experiment", "ablation", "--quick", "--out", dir, "--model", _model, "--corpus", _corpus, .. options];

    /// <summary>A folder as `Ablation(dir)` with --quick's defaults (40 roots, 2 samples, lr 5e-4) left it, with the
    /// given stage markers.</summary>
    private string EarlierRun(params (string Stage, string[] Args)[] stages)
    {
        string dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "settings.json"), new JsonObject
        {
            ["model"] = _model, ["corpus"] = new JsonArray(_corpus), ["tokens"] = 8192, ["ctx"] = 1024, ["rope-base"] = 40000, ["batch"] = 2,
            ["lr"] = 0.0005, ["roots"] = 40, ["samples"] = 2, ["lengths"] = new JsonArray(1024),
            ["build-config"] = new JsonObject { ["alpha"] = 1.0, ["epsilon"] = 0.2, ["top_k"] = 8, ["max_anchors_per_document"] = 4 },
        }.ToJsonString());
        Directory.CreateDirectory(Path.Combine(dir, "stages"));
        foreach (var (stage, args) in stages)
            File.WriteAllText(Path.Combine(dir, "stages", stage + ".done"), new JsonObject { ["args"] = new JsonArray(args.Select(a => (JsonNode)a).ToArray()) }.ToJsonString());
        return dir;
    }

    [Fact]
    public void ARerunWithOtherSettingsIsRefusedNamingThem()
    {
        string dir = EarlierRun(("index", ["index"]));
        byte[] settings = File.ReadAllBytes(Path.Combine(dir, "settings.json"));
        var (code, _, err) = CliRunner.Run(Ablation(dir, "--samples", "3", "--roots", "30", "--lr", "0.01"));
        Assert.Equal(2, code);
        Assert.Equal($"error: {dir}: holds an ablation run with --lr 0.0005 (given 0.01), --roots 40 (given 30), --samples 2 (given 3); " +
                     "use a new --out folder, or that run's settings to go on with it", Only(err));
        Assert.Equal(settings, File.ReadAllBytes(Path.Combine(dir, "settings.json")));
        Assert.False(Directory.Exists(Path.Combine(dir, "logs")));
    }

    [Fact]
    public void AStageDoneWithOtherArgumentsIsRefusedBeforeAnyStageRuns()
    {
        // The random arm built alone takes its own roots; beside entropylong it is matched to that build instead.
        string[] alone = ["build", "--method", "random", "--split", "train", "--limit", "40"];
        string dir = EarlierRun(("build-random", alone));
        var (code, _, err) = CliRunner.Run(Ablation(dir, "--arms", "entropylong,random"));
        Assert.Equal(2, code);
        string marker = Path.Combine(dir, "stages", "build-random.done");
        Assert.StartsWith($"error: {marker}: build-random ran as `{string.Join(' ', alone)}`, this run would run it as `build --corpus {_corpus}", Only(err));
        Assert.Contains($"--match {Path.Combine(dir, "builds", "entropylong")}", err);
        Assert.EndsWith("; use a new --out folder, or that run's arms and settings to go on with it", Only(err));
        Assert.Equal(["build-random.done"], Directory.EnumerateFiles(Path.Combine(dir, "stages")).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Path.Combine(dir, "logs")));
    }

    [Fact]
    public void StagesOfARunThatDidNotRecordItsSettingsAreNotTakenForThisOne()
    {
        string dir = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "stages"));
        File.WriteAllText(Path.Combine(dir, "stages", "index.done"), "2026-12-01T10:00:00Z 12 s\n");
        var (code, _, err) = CliRunner.Run(Ablation(dir));
        Assert.Equal(3, code);
        Assert.Equal($"error: {dir}: holds stages of a run that did not record its settings (no settings.json); use a new --out folder", Only(err));
    }
}
