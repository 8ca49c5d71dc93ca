namespace EntropyLong.Retrieval.Tests;

[Collection("arctic")]
public class RecallTests(ArcticFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>HNSW against exact search on a few thousand real chunks (the shipped docstring sample, cut at 512
    /// characters) embedded by arctic-embed-xs. To keep the suite fast each chunk is embedded from its first 32
    /// tokens: still real text through the real model, a realistic vector distribution.</summary>
    [Fact]
    public void HnswRecallAt32IsAtLeast095OnRealChunks()
    {
        using var embedder = OnnxEmbedder.Open(new EmbeddingModelOptions { MaxTokens = 32, BatchSize = 128 });
        var docs = SampleCorpus.Load();
        using var dir = new TempDir();
        var result = IndexBuilder.Build(dir.Path, docs, embedder, new IndexBuildOptions { MaxChars = 512, CommitChunks = 1024 });
        Assert.InRange(result.Chunks, 3000, 10000);

        using var index = ChunkIndex.Open(dir.Path, embedder);
        var rng = new Random(7);
        var queryDocs = Enumerable.Range(0, 100).Select(_ => docs[rng.Next(docs.Count)]).ToList();
        var queries = fixture.Embedder.Embed(queryDocs.Select(d => d.Text[..Math.Min(200, d.Text.Length)]).ToList(), asQuery: true);
        double recall = 0;
        for (int i = 0; i < queries.Length; i++)
        {
            var exclusion = index.ExclusionFor(queryDocs[i]);
            var exact = index.Search(queries[i], 32, exclusion, exact: true).Select(h => h.Key).ToHashSet();
            var approx = index.Search(queries[i], 32, exclusion);
            Assert.Equal(32, approx.Length);
            recall += approx.Count(h => exact.Contains(h.Key)) / 32.0;
        }
        recall /= queries.Length;
        Assert.True(recall >= 0.95, $"recall@32 = {recall:F4}");
        output.WriteLine($"{result.Chunks} chunks, recall@32 = {recall:F4}");
    }
}
