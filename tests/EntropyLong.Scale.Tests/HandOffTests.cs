using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.TestSupport;

namespace EntropyLong.Scale.Tests;

/// <summary>What the CLI hands to trainers (Parquet, position weights, the dataset card) comes out of a sharded build's
/// merge as out of an unsharded build, and every sample stays one indices span.</summary>
[Collection("cli")]
public class HandOffTests(CliFixture cli)
{
    private static readonly string[] Flags = ["--format", "mds,parquet", "--position-weights"];

    // The fixture's settings with sequences long enough that several samples share one (its 384 tokens fit one).
    private string[] Options()
    {
        string[] options = [.. cli.BuildOptions];
        options[Array.IndexOf(options, "--seq-len") + 1] = "1024";
        return options;
    }

    [Fact]
    public void ParquetWeightsAndTheCardSurviveTheMerge()
    {
        string plain = Path.Combine(cli.Root, "handoff-plain"), one = Path.Combine(cli.Root, "handoff-one"), three = Path.Combine(cli.Root, "handoff-three");
        string[] common = ["build", .. cli.CorpusArgs, "--index", cli.Index, .. Options(), .. Flags];
        cli.Run([.. common, "--out", plain]).Check();
        cli.Run([.. common, "--out", one, "--shards", "1"]).Check();
        CliFixture.AssertSameOutput(plain, one);
        Assert.Contains("parquet/part-00000.parquet", CliFixture.Output(one).Keys);

        // Three shards merged by `entropylong merge`, which reads the formats back from the plan.
        cli.Run([.. common, "--out", three, "--shards", $"{CliFixture.Shards}", "--no-merge"]).Check();
        Assert.False(File.Exists(Path.Combine(three, BuildFolder.Card)));
        cli.Run(["merge", three]).Check();

        var documents = new CorpusReader(cli.CorpusFiles).Read().ToDictionary(r => r.Document.Id, r => r.Document.Text);
        using var vocabulary = LlamaVocabulary.Load(cli.Model);
        Assert.True(TrainerOutputChecks.AssertEverySampleIsOneSpan(three, documents, "\n\n", vocabulary) > 0);
        Assert.Contains(TrainerOutputChecks.Sequences(three), s => s.Samples.Count > 1);
        Assert.True(TrainerOutputChecks.AssertWeightsMarkTheAnchors(three) > 0);
        Assert.True(TrainerOutputChecks.AssertParquetHoldsTheMdsSequences(three) > 0);
        TrainerOutputChecks.AssertCardCountsMatchStats(three);
        var (yaml, body) = TrainerOutputChecks.ReadCard(three);
        Assert.Equal("other", yaml["license"]);
        Assert.Contains("no README.md beside the corpus files", body);
        Assert.Contains("`position_weighted` (`list<uint8>`)", body);
    }
}
