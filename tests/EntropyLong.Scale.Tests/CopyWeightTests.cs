using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>`build --copy-weight` (or `copy_weight` in a config file) reaches the scorer, the recorded configuration and the dataset card; without
/// --model the build reads the shipped model as the default scorer (copy mixture, word anchors, 8 candidates per anchor, one kept chunk per
/// anchor), and a named model is read as the paper does.</summary>
[Collection("cli")]
public class CopyWeightTests(CliFixture cli)
{
    [Fact]
    public void TheFlagAndTheConfigKeyChangeTheEntropiesAlikeAndAreRecorded()
    {
        string dir = cli.BuildWithFlagAndConfigKey("copy", ["--copy-weight", "0.5"], """{"copy_weight": 0.5}""");
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.Equal(0.5, recorded.RootElement.GetProperty("options").GetProperty("copy_weight").GetDouble());
        Assert.False(recorded.RootElement.GetProperty("default_scorer").GetBoolean());
        Assert.False(recorded.RootElement.GetProperty("options").GetProperty("word_entropy").GetBoolean());
        Assert.Contains("| copy mixture (weight 1 - (1 - W)^longest match) | W = 0.5 |", File.ReadAllText(Path.Combine(dir, "README.md")));
        // The corpus repeats its texts, so copying lowers some entropies: other anchors than the plain build's.
        Assert.NotEqual(EntropiesOf(cli.Reference()), EntropiesOf(dir));

        using var plain = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(cli.Reference(), "config.json")));
        Assert.Equal(0, plain.RootElement.GetProperty("options").GetProperty("copy_weight").GetDouble());
    }

    [Fact]
    public void WithoutAModelTheShippedDefaultScorerIsReadWithCopiesAndWordsJudgesEightCandidatesAndKeepsOneChunkPerAnchor()
    {
        string dir = Path.Combine(cli.Root, "default-scorer");
        cli.Run(["build", .. cli.CorpusArgs, "--index", cli.Index, "--out", dir, "--limit", "2", "--threads", "1", "--quiet"]).Check();
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        var root = recorded.RootElement;
        Assert.True(root.GetProperty("default_scorer").GetBoolean());
        Assert.Equal(0.5, root.GetProperty("options").GetProperty("copy_weight").GetDouble());
        Assert.True(root.GetProperty("options").GetProperty("word_entropy").GetBoolean());
        Assert.Equal(1, root.GetProperty("options").GetProperty("max_chunks_per_anchor").GetInt32());
        Assert.Equal(8, root.GetProperty("options").GetProperty("top_k").GetInt32());
        Assert.EndsWith(Path.Combine("data", "models", "default.gguf"), root.GetProperty("model").GetString());

        // An explicit weight wins over the default scorer's.
        string zero = Path.Combine(cli.Root, "default-scorer-zero");
        cli.Run(["build", .. cli.CorpusArgs, "--index", cli.Index, "--out", zero, "--limit", "2", "--threads", "1", "--quiet", "--copy-weight", "0"]).Check();
        using var explicitZero = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(zero, "config.json")));
        Assert.Equal(0, explicitZero.RootElement.GetProperty("options").GetProperty("copy_weight").GetDouble());
        // So does an explicit cap: 0 keeps every chunk that passes, as the paper does.
        string uncapped = Path.Combine(cli.Root, "default-scorer-uncapped");
        cli.Run(["build", .. cli.CorpusArgs, "--index", cli.Index, "--out", uncapped, "--limit", "2", "--threads", "1", "--quiet", "--max-chunks-per-anchor", "0"]).Check();
        using var explicitUncapped = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(uncapped, "config.json")));
        Assert.Equal(0, explicitUncapped.RootElement.GetProperty("options").GetProperty("max_chunks_per_anchor").GetInt32());
        // The paper's K, given as a flag or a config key, wins too; a config file that leaves top_k out keeps the default scorer's.
        Assert.Equal(32, TopKOf(["--top-k", "32"], "flag-k"));
        Assert.Equal(32, TopKOf(["--config", Config("k32.json", """{"top_k": 32}""")], "config-k"));
        Assert.Equal(8, TopKOf(["--config", Config("alpha.json", """{"alpha": 2.0}""")], "config-without-k"));
        // A model the user names is judged with the paper's 32.
        Assert.Equal(32, TopKOf(["--model", cli.Model], "named-model"));
    }

    private int TopKOf(string[] extra, string name)
    {
        string dir = Path.Combine(cli.Root, "default-scorer-" + name);
        cli.Run(["build", .. cli.CorpusArgs, "--index", cli.Index, "--out", dir, "--limit", "2", "--threads", "1", "--quiet", .. extra]).Check();
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        return recorded.RootElement.GetProperty("options").GetProperty("top_k").GetInt32();
    }

    private string Config(string name, string json)
    {
        string path = Path.Combine(cli.Root, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static List<double> EntropiesOf(string build) =>
        File.ReadLines(Path.Combine(build, "details.jsonl")).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("entropy").EnumerateArray()
            .Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetDouble())).ToList();
}
