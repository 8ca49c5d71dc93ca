using EntropyLong.Core;

namespace EntropyLong.Core.Tests;

public class ExcludingRetrieverTests
{
    /// <summary>Chunk i of document "d{i % 5}", ranked by key, so every query sees the same order.</summary>
    private sealed class RankedRetriever(int chunks) : IRetriever
    {
        public List<int> Asked { get; } = [];

        public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default)
        {
            Asked.Add(k);
            return queries.Select(q => (IReadOnlyList<RetrievedChunk>)Enumerable.Range(0, chunks).Select(i => $"d{i % 5}")
                .Select((doc, i) => new RetrievedChunk(i, $"{doc}#{i}", doc, $"text {i}", 1f - i / 1000f))
                .Where(c => c.DocumentId != q.DocumentId).Take(k).ToList()).ToList();
        }
    }

    private static readonly RetrievalQuery[] Queries = [new("a", "d4", "a"), new("b", "d3", "b")];

    [Fact]
    public void ExcludedDocumentsNeverComeBackAndEachQueryStillGetsKInRankOrder()
    {
        var inner = new RankedRetriever(100);
        var retriever = new ExcludingRetriever(inner, chunk => chunk.DocumentId is "d0" or "d1");
        var hits = retriever.Retrieve(Queries, 8);
        foreach (var (query, found) in Queries.Zip(hits))
        {
            Assert.Equal(8, found.Count);
            Assert.DoesNotContain(found, h => h.DocumentId is "d0" or "d1" || h.DocumentId == query.DocumentId);
            Assert.Equal(found.OrderBy(h => h.Key), found);
        }
        // The first 8 of d2, d3 (or d4) and their order: keys 2, 3 (or 4), 7, ... as the inner ranking gives them.
        Assert.Equal([2, 3, 7, 8, 12, 13, 17, 18], hits[0].Select(h => h.Key));
        Assert.Equal([8, 16], inner.Asked);
        // Passed over: keys 0, 1, 5, 6, 10, 11, 15, 16 for each query, counted once although both were asked twice.
        Assert.Equal(16, retriever.Excluded);
    }

    [Fact]
    public void AnIndexTooSmallForKGivesWhatItHasAndStops()
    {
        var inner = new RankedRetriever(12);
        var retriever = new ExcludingRetriever(inner, chunk => chunk.DocumentId == "d0");
        var hits = retriever.Retrieve(Queries, 8);
        Assert.Equal([1, 2, 3, 6, 7, 8, 11], hits[0].Select(h => h.Key));
        Assert.Equal([8, 16], inner.Asked);
        Assert.Equal(6, retriever.Excluded); // keys 0, 5 and 10 for each query
    }

    [Fact]
    public void NothingExcludedAsksOnce()
    {
        var inner = new RankedRetriever(100);
        var retriever = new ExcludingRetriever(inner, _ => false);
        retriever.Retrieve(Queries, 8);
        Assert.Equal([8], inner.Asked);
        Assert.Equal(0, retriever.Excluded);
    }
}
