using System.Numerics.Tensors;

namespace EntropyLong.Retrieval.Tests;

[Collection("arctic")]
public class EmbedderTests(ArcticFixture fixture)
{
    private readonly OnnxEmbedder _e = fixture.Embedder;

    [Fact]
    public void ArcticXsIs384DimensionalWithClsPooling()
    {
        Assert.Equal(384, _e.Dimension);
        Assert.StartsWith("snowflake-arctic-embed-xs@", _e.ModelId);
        Assert.EndsWith("/cls", _e.ModelId);
    }

    [Fact]
    public void TokenizesLikeUncasedBert()
    {
        // bert-base-uncased ids: [CLS] hello world ! cafe naive [SEP] (lower-cased, accents stripped).
        var batch = _e.Prepare(["Hello world! Café naïve"], asQuery: false).Single();
        Assert.Equal([101, 7592, 2088, 999, 7668, 15743, 102], batch.InputIds.Select(i => (int)i));
    }

    [Fact]
    public void LongInputsAreTruncatedTo512Tokens()
    {
        var batch = _e.Prepare([string.Join(' ', Enumerable.Repeat("word", 2000))], asQuery: false).Single();
        Assert.Equal(512, batch.Length);
        Assert.Equal(102, batch.InputIds[^1]);
    }

    [Fact]
    public void RanksTheObviouslyRelatedSentenceFirst()
    {
        string[] passages =
        [
            "The stock market fell sharply on Tuesday as investors worried about interest rates.",
            "To bake bread, mix flour, water, yeast and salt, let the dough rise, then bake it in a hot oven.",
            "The goalkeeper saved a penalty in the final minute of the match.",
            "Photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen in plant leaves.",
        ];
        (string Query, int Expected)[] cases =
        [
            ("how do I make a loaf of bread at home", 1),
            ("how do plants turn light into energy", 3),
            ("why did share prices drop", 0),
            ("football game result", 2),
        ];
        var docs = _e.Embed(passages, asQuery: false);
        var queries = _e.Embed(cases.Select(c => c.Query).ToList(), asQuery: true);
        for (int i = 0; i < cases.Length; i++)
        {
            var scores = docs.Select(d => TensorPrimitives.Dot(d, queries[i])).ToArray();
            Assert.Equal(cases[i].Expected, Array.IndexOf(scores, scores.Max()));
        }
    }

    [Fact]
    public void VectorsAreNormalizedAndDoNotDependOnBatchCompanions()
    {
        string[] texts = ["short text", "a considerably longer sentence that needs more tokens than the first one does", "mid length text here"];
        var together = _e.Embed(texts, asQuery: false);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(1f, TensorPrimitives.Norm(together[i]), 4);
            var alone = _e.Embed([texts[i]], asQuery: false)[0];
            Assert.True(TensorPrimitives.CosineSimilarity(alone, together[i]) > 0.9999f);
        }
    }

    [Fact]
    public void TheNumberOfThreadsChangesNoBit()
    {
        // `build --threads` bounds the query embedder too: its vectors, and so retrieval, must not depend on it.
        string[] texts = [.. Enumerable.Range(0, 12).Select(i => $"text number {i} about " + string.Join(' ', Enumerable.Repeat("hackers and their jargon", i + 1)))];
        using var one = OnnxEmbedder.Open(new EmbeddingModelOptions { Threads = 1 });
        using var two = OnnxEmbedder.Open(new EmbeddingModelOptions { Threads = 2 });
        var a = one.Embed(texts, asQuery: true);
        var b = two.Embed(texts, asQuery: true);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(a[i], b[i]);
    }

    private static readonly string[] Words = ["river", "stone", "the", "signal", "carried", "across", "quiet", "valleys", "of", "entropy"];

    /// <summary>Texts from 1 to 240 words, in shuffled order, so length grouping reorders them.</summary>
    private static List<string> VariedTexts(int count)
    {
        var rng = new Random(7);
        return Enumerable.Range(0, count)
            .Select(i => string.Join(' ', Enumerable.Range(0, 1 + i * 240 / count).Select(_ => Words[rng.Next(Words.Length)])))
            .OrderBy(_ => rng.Next()).ToList();
    }

    [Fact]
    public void LengthGroupedBatchesReturnVectorsInInputOrderEqualToUnbatchedOnes()
    {
        var texts = VariedTexts(40);
        var batches = _e.Prepare(texts, asQuery: false).ToList();
        // Within the default budget of 512 positions and 32 texts, longest first, every text once.
        Assert.Equal(Enumerable.Range(0, texts.Count), batches.SelectMany(b => b.Rows).Order());
        Assert.All(batches, b => Assert.True(b.Rows.Length == 1 || b.Tokens <= 512, $"{b.Rows.Length} x {b.Length}"));
        Assert.All(batches, b => Assert.InRange(b.Rows.Length, 1, 32));
        Assert.True(batches.Zip(batches.Skip(1)).All(p => p.First.Length >= p.Second.Length));
        Assert.Contains(batches, b => b.Rows.Length > 1);

        var together = _e.Embed(texts, asQuery: false);
        for (int i = 0; i < texts.Count; i++)
        {
            var alone = _e.Embed([texts[i]], asQuery: false)[0];
            Assert.True(TensorPrimitives.CosineSimilarity(alone, together[i]) >= 0.9999f, $"text {i}");
        }
    }

    [Fact]
    public void PaddingShareIsThePaddedPositionsOverAllPositionsFed()
    {
        // Two rows padded to 4 (4 + 2 real) and one row of 3 (no padding): 2 of 11 positions are padding.
        OnnxEmbedder.Batch[] batches =
        [
            new([0, 1], 4, new long[8], [1, 1, 1, 1, 1, 1, 0, 0], null),
            new([2], 3, new long[3], [1, 1, 1], null),
        ];
        Assert.Equal(2.0 / 11, OnnxEmbedder.PaddingShare(batches), 12);
        Assert.Equal(0, OnnxEmbedder.PaddingShare([]));

        // Grouping by a position budget pads less than 32 length-sorted texts per call.
        var texts = VariedTexts(64);
        using var ungrouped = OnnxEmbedder.Open(new EmbeddingModelOptions { TokenBudget = int.MaxValue });
        double grouped = OnnxEmbedder.PaddingShare(_e.Prepare(texts, asQuery: false));
        double before = OnnxEmbedder.PaddingShare(ungrouped.Prepare(texts, asQuery: false));
        Assert.True(grouped < before, $"grouped {grouped:F4}, before {before:F4}");
        long real = texts.Sum(t => (long)_e.Prepare([t], asQuery: false).Single().Length);
        long fed = _e.Prepare(texts, asQuery: false).Sum(b => b.Tokens);
        Assert.Equal(1 - (double)real / fed, grouped, 12);
    }

    [Fact]
    public void QueriesGetTheModelsPrefix()
    {
        var asQuery = _e.Embed(["bread recipe"], asQuery: true)[0];
        var asDoc = _e.Embed(["bread recipe"], asQuery: false)[0];
        var prefixed = _e.Embed([OnnxEmbedder.ArcticXsQueryPrefix + "bread recipe"], asQuery: false)[0];
        Assert.True(TensorPrimitives.CosineSimilarity(asQuery, asDoc) < 0.999f);
        Assert.True(TensorPrimitives.CosineSimilarity(asQuery, prefixed) > 0.99999f);
    }
}
