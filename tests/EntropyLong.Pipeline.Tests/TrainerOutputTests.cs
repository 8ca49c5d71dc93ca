using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Pipeline.Tests;

/// <summary>What a build hands to trainers: every sample one indices span, the position weights, the Parquet copy.</summary>
public class TrainerOutputTests
{
    // Long enough sequences that several samples share one.
    private static readonly EntropyLongOptions Options = BuildTests.Loose with { SeqLen = 2048 };

    private static string Build(BuildOutput settings)
    {
        using var engine = BuildTests.Engine();
        var output = settings with { Directory = Scratch.NewPath("handoff") };
        var stats = BuildTests.Runner(engine, new LexicalRetriever(BuildTests.Corpus), Options, output).Run(BuildTests.Corpus);
        BuildRunner.WriteStats(output.Directory, stats);
        Assert.True(stats.Sequences >= 2 && stats.ChunksVerified > stats.DocumentsUsed, $"{stats.Sequences} sequences, {stats.ChunksVerified} chunks");
        return output.Directory;
    }

    [Fact]
    public void EverySampleIsOneIndicesSpanWithItsContextsAndWeightsMarkTheirAnchors()
    {
        // Small shards, so that MDS and Parquet both cut files.
        string dir = Build(new BuildOutput("") { BlockSize = 3, Parquet = true, PositionWeights = true, MdsShardSizeLimit = 2048 });
        using var engine = BuildTests.Engine();
        int contexts = TrainerOutputChecks.AssertEverySampleIsOneSpan(dir, BuildTests.Corpus.ToDictionary(d => d.Id, d => d.Text),
            Options.Separator, engine.Vocabulary);
        Assert.True(contexts > 10, $"{contexts} contexts");
        Assert.Contains(TrainerOutputChecks.Sequences(dir), s => s.Samples.Count > 1);
        Assert.True(TrainerOutputChecks.AssertWeightsMarkTheAnchors(dir) > 10);
        Assert.True(TrainerOutputChecks.AssertParquetHoldsTheMdsSequences(dir) > 1);
        Assert.True(Directory.GetFiles(Path.Combine(dir, BuildFolder.Mds), "shard.*.mds").Length > 1);
    }

    [Fact]
    public void FormatsNotAskedForLeaveNoFilesAndTheDefaultHasNoWeights()
    {
        string dir = Build(new BuildOutput("") { BlockSize = 3, Parquet = true });
        Assert.Null(MdsReader.Read(Path.Combine(dir, BuildFolder.Mds)).First().PositionWeighted);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, BuildFolder.Parquet)));

        // Rebuilt in the same folder without MDS or Parquet: the earlier files go, so none can pass for the new build's,
        // and so do their folders, except one that holds a file of the user's.
        File.WriteAllText(Path.Combine(dir, BuildFolder.Parquet, "notes.txt"), "mine");
        using var engine = BuildTests.Engine();
        BuildTests.Runner(engine, new LexicalRetriever(BuildTests.Corpus), Options, new BuildOutput(dir) { Mds = false }).Run(BuildTests.Corpus.Take(3));
        Assert.False(Directory.Exists(Path.Combine(dir, BuildFolder.Mds)));
        Assert.Equal(["notes.txt"], Directory.GetFiles(Path.Combine(dir, BuildFolder.Parquet)).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(dir, BuildFolder.Sequences)));
    }
}
