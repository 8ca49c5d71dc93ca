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
        var root = RecordedConfig(dir);
        Assert.True(root.GetProperty("default_scorer").GetBoolean());
        Assert.Equal(0.5, root.GetProperty("options").GetProperty("copy_weight").GetDouble());
        Assert.True(root.GetProperty("options").GetProperty("word_entropy").GetBoolean());
        Assert.Equal(1, root.GetProperty("options").GetProperty("max_chunks_per_anchor").GetInt32());
        Assert.Equal(8, root.GetProperty("options").GetProperty("top_k").GetInt32());
        Assert.EndsWith(Path.Combine("data", "models", "default.gguf"), root.GetProperty("model").GetString());

        // An explicit weight wins over the default scorer's.
        Assert.Equal(0, Option(dir + "-zero", "copy_weight", "--copy-weight", "0").GetDouble());
        // So does an explicit cap: 0 keeps every chunk that passes, as the paper does.
        Assert.Equal(0, Option(dir + "-uncapped", "max_chunks_per_anchor", "--max-chunks-per-anchor", "0").GetInt32());
        // The paper's K, given as a flag or a config key, wins too; a config file that leaves top_k out keeps the default scorer's.
        Assert.Equal(32, Option(dir + "-flag-k", "top_k", "--top-k", "32").GetInt32());
        Assert.Equal(32, Option(dir + "-config-k", "top_k", "--config", Config("k32.json", """{"top_k": 32}""")).GetInt32());
        Assert.Equal(8, Option(dir + "-config-without-k", "top_k", "--config", Config("alpha.json", """{"alpha": 2.0}""")).GetInt32());
        // Any of the default scorer's settings can be turned back to the paper's in a config file, word anchors too.
        Assert.False(Option(dir + "-config-tokens", "word_entropy", "--config", Config("tokens.yaml", "word_entropy: false\n")).GetBoolean());
        // A model the user names is judged with the paper's 32.
        Assert.Equal(32, Option(dir + "-named-model", "top_k", "--model", cli.Model).GetInt32());
    }

    [Fact]
    public void TheRecordedConfigurationNamesTheCorpusByFullPathAndTheOrderByName()
    {
        // A relative corpus path was recorded as typed, so `bench links` and the report found no corpus from another
        // folder; the order was recorded as 0.
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, cli.CorpusFiles[0]);
        Assert.False(Path.IsPathRooted(relative));
        var root = RecordedConfig(Path.Combine(cli.Root, "relative-corpus"), "--corpus", relative);
        Assert.Equal(cli.CorpusFiles.Append(cli.CorpusFiles[0]), root.GetProperty("corpus").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("shuffle", root.GetProperty("options").GetProperty("order").GetString());
    }

    /// <summary>config.json of a two-document build without --model (unless <paramref name="extra"/> names one).</summary>
    private JsonElement RecordedConfig(string dir, params string[] extra)
    {
        cli.Run(["build", .. cli.CorpusArgs, "--index", cli.Index, "--out", dir, "--limit", "2", "--threads", "1", "--quiet", .. extra]).Check();
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        return recorded.RootElement.Clone();
    }

    private JsonElement Option(string dir, string key, params string[] extra) =>
        RecordedConfig(dir, extra).GetProperty("options").GetProperty(key);

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
