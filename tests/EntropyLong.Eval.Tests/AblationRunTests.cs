using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Eval.Ablation;

namespace EntropyLong.Eval.Tests;

public class AblationRunTests
{
    private static AblationSettings Settings(int steps = 37, int? batch = 8, string model = "/a/default.gguf", JsonObject? config = null,
        double? lr = 5e-4, string[]? corpus = null) =>
        new(600_000, steps, batch, 2048, 40000, 1000, 50, model, config, lr, corpus);

    /// <summary>One seed's run: the untrained model's fixed scores and, per arm, an accuracy and a loss.</summary>
    private static AblationRun Run(int seed, double entropylong, double random, AblationSettings? settings = null, double untrained = 58) =>
        new(["none", "entropylong", "random"], [seed], settings ?? Settings(),
        [
            new("none", 0, "vt", 1024, untrained), new("none", 0, "heldout_loss", 2048, 5.09),
            new("entropylong", seed, "vt", 1024, entropylong), new("entropylong", seed, "heldout_loss", 2048, 4.9),
            new("random", seed, "vt", 1024, random), new("random", seed, "heldout_loss", 2048, 4.8 + seed / 100.0),
        ]);

    [Fact]
    public void CellsAreTheMeanAndTheHalfWidthOfStudentsInterval()
    {
        var cells = AblationTable.Summarize([new("a", 1, "vt", 1024, 46), new("a", 2, "vt", 1024, 48), new("b", 1, "vt", 1024, 30)]);
        var a = Assert.Single(cells, c => c.Arm == "a");
        Assert.Equal(47, a.Mean);
        Assert.Equal(12.706, a.HalfWidth95, 1e-9); // sd sqrt(2), over sqrt(2) seeds, times t(1 df)
        Assert.True(double.IsNaN(Assert.Single(cells, c => c.Arm == "b").HalfWidth95));
    }

    [Fact]
    public void AModelsRulerAverageIsItsMeanOverTheTasksAtEachLengthWithoutTheLoss()
    {
        AblationResult[] results =
        [
            new("a", 1, "vt", 1024, 40), new("a", 1, "cwe", 1024, 60), new("a", 1, "vt", 2048, 30), new("a", 1, "heldout_loss", 2048, 4.9),
            new("a", 2, "vt", 1024, 44), new("a", 2, "cwe", 1024, 60),
        ];
        Assert.Equal(
            [new("a", 1, "ruler_average", 1024, 50), new("a", 1, "ruler_average", 2048, 30), new AblationResult("a", 2, "ruler_average", 1024, 52)],
            AblationTable.RulerAverages(results));
        var cell = Assert.Single(AblationTable.Summarize(AblationTable.RulerAverages(results)), c => c.Length == 1024);
        Assert.Equal((51.0, 12.706), (cell.Mean, Math.Round(cell.HalfWidth95, 9)));
    }

    [Fact]
    public void ArmsAreComparedWithTheMethodSeedBySeed()
    {
        var run = AblationRun.Merge([Run(1, 46, 42), Run(2, 48, 40)], ["a", "b"]);
        Assert.Equal("entropylong", run.Reference);
        var paired = run.PairedCells();
        // RULER average (vt alone here): 46 - 42 and 48 - 40; loss: 4.9 - 4.81 and 4.9 - 4.82. The untrained model has no seed to pair.
        var average = Assert.Single(paired, c => c.Task == "ruler_average: entropylong minus");
        Assert.Equal(("random", 2, 6.0), (average.Arm, average.Seeds, average.Mean));
        Assert.Equal(12.706 * 2, average.HalfWidth95, 1e-9);
        var loss = Assert.Single(paired, c => c.Task == "heldout_loss: entropylong minus");
        Assert.Equal(0.085, loss.Mean, 1e-12);
        Assert.Equal(2, paired.Count);
        Assert.Equal("random", new AblationRun(["none", "random"], [1], Settings(), []).Reference);
    }

    [Fact]
    public void SeedsRunApartMergeIntoOneTableWithTheUntrainedModelOnce()
    {
        var merged = AblationRun.Merge([Run(2, 48, 40), Run(1, 46, 42)], ["s2.json", "s1.json"]);
        Assert.Equal([1, 2], merged.Seeds);
        Assert.Equal(["none", "entropylong", "random"], merged.Arms);
        Assert.Equal(2, merged.Results.Count(r => r.Arm == "none"));
        Assert.Equal([1, 1, 2, 2], merged.Results.Where(r => r.Arm == "entropylong" || r.Arm == "random").Where(r => r.Task == "vt").Select(r => r.Seed).Order());
        // Results run arm by arm, seeds in order within an arm.
        Assert.Equal([1, 1, 2, 2], merged.Results.Where(r => r.Arm == "entropylong").Select(r => r.Seed));
        var cell = Assert.Single(AblationTable.Summarize(merged.Results), c => c.Arm == "entropylong" && c.Task == "vt");
        Assert.Equal((2, 47.0), (cell.Seeds, cell.Mean));
        Assert.Equal(12.706, cell.HalfWidth95, 1e-9);
    }

    [Fact]
    public void AnArmRunLaterJoinsTheTable()
    {
        var later = new AblationRun(["none", "nextlong"], [1], Settings(), [new("none", 0, "vt", 1024, 58), new("nextlong", 1, "vt", 1024, 44)]);
        var merged = AblationRun.Merge([Run(1, 46, 42), later], ["a", "b"]);
        Assert.Equal(["none", "entropylong", "random", "nextlong"], merged.Arms);
        Assert.Equal(44, Assert.Single(merged.Results, r => r.Arm == "nextlong").Value);
    }

    [Fact]
    public void TheSameRunGivenTwiceChangesNothingButASeedWithOtherResultsIsRefused()
    {
        Assert.Equal(Run(1, 46, 42).Results, AblationRun.Merge([Run(1, 46, 42), Run(1, 46, 42)], ["a", "b"]).Results);
        var e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42), Run(1, 47, 42)], ["a.json", "b.json"]));
        Assert.Equal("b.json: entropylong seed 1 is also in a.json, with other results (vt at 1024: 47 against 46); merge each seed once", e.Message);
    }

    [Fact]
    public void RunsWithOtherSettingsOrAnotherUntrainedModelAreRefused()
    {
        var e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42), Run(2, 46, 42, Settings(steps: 19))], ["a.json", "b.json"]));
        Assert.Equal("b.json: steps is 19, a.json has 37: only runs with the same settings merge", e.Message);
        e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42), Run(2, 46, 42, Settings(model: "/a/other.gguf"))], ["a", "b"]));
        Assert.StartsWith("b: model is other.gguf, a has default.gguf", e.Message);
        e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42), Run(2, 46, 42, untrained: 60)], ["a", "b"]));
        Assert.Equal("b: the untrained model scores 60 on vt at 1024, 58 in a: not the same model or evaluation", e.Message);
        var loose = JsonNode.Parse("""{"alpha": 1.0}""")!.AsObject();
        var strict = JsonNode.Parse("""{"alpha": 2.0}""")!.AsObject();
        e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42, Settings(config: loose)), Run(2, 46, 42, Settings(config: strict))], ["a", "b"]));
        Assert.Equal("""b: build_config is {"alpha":2.0}, a has {"alpha":1.0}: only runs with the same settings merge""", e.Message);
        e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42), Run(2, 46, 42, Settings(batch: 4))], ["a", "b"]));
        Assert.Equal("b: batch is 4, a has 8: only runs with the same settings merge", e.Message);
        e = Assert.Throws<UserInputException>(() => AblationRun.Merge([Run(1, 46, 42), Run(2, 46, 42, Settings(lr: 0.01))], ["a", "b"]));
        Assert.Equal("b: lr is 0.01, a has 0.0005: only runs with the same settings merge", e.Message);
        // The corpus by file name, as the model: another machine has it elsewhere.
        var merged = AblationRun.Merge([Run(1, 46, 42, Settings(corpus: ["/a/c.jsonl"])), Run(2, 46, 42, Settings(corpus: ["/b/c.jsonl"]))], ["a", "b"]);
        Assert.Equal(["/a/c.jsonl"], merged.Settings.Corpus!);
        e = Assert.Throws<UserInputException>(() =>
            AblationRun.Merge([Run(1, 46, 42, Settings(corpus: ["/a/c.jsonl"])), Run(2, 46, 42, Settings(corpus: ["/a/d.jsonl"]))], ["a", "b"]));
        Assert.Equal("""b: corpus is ["d.jsonl"], a has ["c.jsonl"]: only runs with the same settings merge""", e.Message);
    }

    [Fact]
    public void AFileWrittenBeforeBatchBuildConfigLrAndCorpusWereRecordedMergesWithANewerOne()
    {
        var old = Run(1, 46, 42, Settings(batch: null, model: "/elsewhere/default.gguf", lr: null));
        var json = old.ToJson();
        foreach (string key in new[] { "batch", "build_config", "lr", "corpus" }) json.Remove(key);
        var read = AblationRun.FromJson(JsonNode.Parse(json.ToJsonString()), "old.json");
        Assert.Equal((null, null, null, null), (read.Settings.Batch, read.Settings.BuildConfig, read.Settings.Lr, read.Settings.Corpus));

        var config = JsonNode.Parse("""{"top_k": 8}""")!.AsObject();
        var merged = AblationRun.Merge([read, Run(2, 48, 40, Settings(config: config))], ["old.json", "new.json"]);
        Assert.Equal((8, 5e-4), (merged.Settings.Batch, merged.Settings.Lr));
        Assert.True(JsonNode.DeepEquals(config, merged.Settings.BuildConfig));
        Assert.Equal("/elsewhere/default.gguf", merged.Settings.Model);
        // A third run is held to what the second recorded.
        var e = Assert.Throws<UserInputException>(() => AblationRun.Merge([read, Run(2, 48, 40, Settings(config: config)), Run(3, 47, 41, Settings(batch: 4))],
            ["old.json", "new.json", "third.json"]));
        Assert.Equal("third.json: batch is 4, new.json has 8: only runs with the same settings merge", e.Message);
    }

    [Fact]
    public void ARunMergedWithItselfReadsBackItsOwnTable()
    {
        // 4.90004 - 4.87226 is 0.0278 to four places; from values stored to four places it would be 4.9 - 4.8723 = 0.0277.
        var run = new AblationRun(["none", "entropylong", "random"], [1], Settings(),
            [new("entropylong", 1, "heldout_loss", 2048, 4.90004), new("random", 1, "heldout_loss", 2048, 4.87226)]);
        var back = AblationRun.FromJson(JsonNode.Parse(run.ToJson().ToJsonString()), "x");
        var merged = AblationRun.Merge([back, back], ["x", "x"]);
        Assert.Equal(run.ToJson()["paired"]!.ToJsonString(), merged.ToJson()["paired"]!.ToJsonString());
        Assert.Equal(0.0278, (double)merged.ToJson()["paired"]![0]!["mean"]!);
    }

    [Fact]
    public void ItsJsonReadsBackAndAnotherFileIsNamedInTheError()
    {
        var run = Run(1, 46.25, 42, Settings(config: JsonNode.Parse("""{"top_k": 8}""")!.AsObject(), corpus: ["/a/c.jsonl", "/a/d.jsonl"]));
        var back = AblationRun.FromJson(JsonNode.Parse(run.ToJson().ToJsonString()), "x");
        Assert.Equal(run.Results, back.Results);
        Assert.Equal(run.Arms, back.Arms);
        Assert.Equal(run.Settings with { BuildConfig = null, Corpus = null }, back.Settings with { BuildConfig = null, Corpus = null });
        Assert.Equal(run.Settings.Corpus!, back.Settings.Corpus!);
        Assert.True(JsonNode.DeepEquals(run.Settings.BuildConfig, back.Settings.BuildConfig));

        var e = Assert.Throws<UserInputException>(() => AblationRun.FromJson(JsonNode.Parse("""{"arms": ["none"]}"""), "stats.json"));
        Assert.Equal("stats.json: not an ablation.json (a field is missing or of the wrong kind)", e.Message);
    }
}
