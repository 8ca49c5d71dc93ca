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
