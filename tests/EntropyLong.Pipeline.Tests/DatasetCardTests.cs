using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Pipeline.Tests;

public class DatasetCardTests
{
    private static readonly string SampleCorpus = Path.Combine(GoldenBuildTests.RepositoryRoot(), "data", "sample", "corpus.jsonl.gz");

    /// <summary>A build folder with stats.json and the card, from a configuration shaped like config.json's.</summary>
    private static string Card(BuildOutput settings, BuildStats stats, params string[] corpus)
    {
        string dir = Scratch.NewPath("card");
        Directory.CreateDirectory(dir);
        var configuration = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["options"] = new EntropyLongOptions { Alpha = 1.5, Order = ContextOrder.Anchor },
            ["model"] = "/models/scorer.gguf",
            ["model_info"] = new { name = "tiny-llama", vocab_size = 4096, context_length = 1024, parameters = 1852544 },
            ["exact"] = false,
            ["embedder"] = "snowflake-arctic-embed-xs@cf2698d30ff0/cls",
            ["corpus"] = corpus,
            ["tokenizer"] = "scorer",
            ["block"] = 256,
        }, BuildFolder.Json);
        DatasetCard.Write(settings with { Directory = dir }, configuration, stats);
        BuildRunner.WriteStats(dir, stats);
        return dir;
    }

    private static BuildStats Stats(long sequences)
    {
        var stats = new BuildStats { DocumentsRead = 5000, DocumentsUsed = 1234, Sequences = sequences, TokensOut = 98_765_432, ChunksVerified = 4321, DeltaSum = 2917.25 };
        stats.Skip("no_anchor", 3000);
        stats.Skip("no_verified_chunk", 766);
        stats.Seconds["total"] = 12.5;
        return stats;
    }

    [Fact]
    public void TheCardHasFrontMatterTheCountsOfStatsAndTheCorpusLicence()
    {
        string dir = Card(new BuildOutput("") { Parquet = true, PositionWeights = true }, Stats(1500), SampleCorpus);
        Assert.True(TrainerOutputChecks.AssertCardCountsMatchStats(dir) > 20);
        var (yaml, body) = TrainerOutputChecks.ReadCard(dir);
        // data/sample/README.md's front matter gives the licence and language.
        Assert.Equal("other", yaml["license"]);
        Assert.Equal("public-domain", yaml["license_name"]);
        Assert.Equal(["en"], (List<object>)yaml["language"]!);
        Assert.Equal(["1K<n<10K"], (List<object>)yaml["size_categories"]!);
        Assert.Contains("long-context", (List<object>)yaml["tags"]!);
        var files = (Dictionary<object, object>)((List<object>)((Dictionary<object, object>)((List<object>)yaml["configs"]!)[0])["data_files"])[0];
        Assert.Equal("parquet/*.parquet", files["path"]);
        // Its licence section, quoted.
        Assert.Contains("under \"Provenance and licence\"", body);
        Assert.Contains("Copyright: The Jargon File is in the public domain", body);
        Assert.DoesNotContain("## Regenerating", body);
        Assert.Contains("| alpha (anchor: entropy > mean + alpha x std) | 1.5 |", body);
        Assert.Contains("| order of the contexts | by anchor position |", body);
        Assert.Contains("`scorer.gguf`: tiny-llama, 1,852,544 parameters", body);
        Assert.Contains("`position_weighted` (`ndarray:uint8`)", body);
        Assert.Contains("ignores it under sequence parallelism", body);
        Assert.Contains("load_dataset(\"parquet\", data_files=\"parquet/*.parquet\"", body);
        Assert.Contains("--tokenized_mds_train <this folder>/mds@1.0", body);
        Assert.Contains("from streaming import StreamingDataset", body);
        Assert.Contains("journal = {arXiv preprint arXiv:2510.02330}", body);
        Assert.DoesNotContain("12.5", body); // timings stay out: the same build gives the same card
        Assert.Contains("with 4,321 verified contexts (mean relative entropy reduction 0.675).", body);
        // A baseline verifies nothing: its mean is undefined, not 0.000.
        var unjudged = Stats(1500);
        (unjudged.ChunksVerified, unjudged.DeltaSum) = (0, 0);
        body = TrainerOutputChecks.ReadCard(Card(new BuildOutput(""), unjudged, SampleCorpus)).Body;
        Assert.Contains("with 0 verified contexts.\n", body);
        Assert.DoesNotContain("mean relative entropy reduction", body);
    }

    [Fact]
    public void ACorpusWithoutAReadmeLeavesTheLicenceToItsOwner()
    {
        string other = Path.Combine(Scratch.NewPath("card-corpus"), "mine.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        File.WriteAllText(other, "{\"text\": \"x\"}\n");
        string dir = Card(new BuildOutput(""), Stats(12), SampleCorpus, other);
        var (yaml, body) = TrainerOutputChecks.ReadCard(dir);
        Assert.Equal("other", yaml["license"]);
        Assert.False(yaml.ContainsKey("license_name"));
        Assert.False(yaml.ContainsKey("language"));
        Assert.Contains("`mine.jsonl`: no README.md beside the corpus files", body);
        Assert.Contains("`corpus.jsonl.gz`: the README.md beside them says", body);
        Assert.DoesNotContain("parquet", body);
        Assert.DoesNotContain("position_weighted", body);
        Assert.Equal("sequences.jsonl", ((Dictionary<object, object>)((List<object>)((Dictionary<object, object>)((List<object>)yaml["configs"]!)[0])["data_files"])[0])["path"]);
        TrainerOutputChecks.AssertCardCountsMatchStats(dir);
    }

    [Theory]
    [InlineData(0, "n<1K")]
    [InlineData(999, "n<1K")]
    [InlineData(1000, "1K<n<10K")]
    [InlineData(99_999, "10K<n<100K")]
    [InlineData(1_000_000, "1M<n<10M")]
    [InlineData(2_000_000_000_000, "n>1T")]
    public void SizeCategoriesAreHuggingFacesBands(long rows, string category) => Assert.Equal(category, DatasetCard.SizeCategory(rows));
}
