using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>What the pipeline needs from retrieval (METHOD.md stage 3): for one document's anchor queries, the K
/// nearest chunks of the pool each, never the document itself nor copies of its chunks.</summary>
public interface IChunkRetriever
{
    /// <summary>One hit list per query, best first, in query order.</summary>
    IReadOnlyList<SearchHit[]> Retrieve(Document document, IReadOnlyList<string> queries, int k);

    Chunk GetChunk(ulong key);
}

/// <summary>Embeds a document's queries in one batch and searches the index with the document's exclusion.</summary>
public sealed class ChunkRetriever(IEmbedder embedder, ChunkIndex index, bool exact = false) : IChunkRetriever
{
    public IReadOnlyList<SearchHit[]> Retrieve(Document document, IReadOnlyList<string> queries, int k)
    {
        if (queries.Count == 0) return [];
        int dim = embedder.Dimension;
        var vectors = new float[queries.Count * dim];
        embedder.Embed(queries, asQuery: true, vectors);
        var exclusion = index.ExclusionFor(document);
        var hits = new SearchHit[queries.Count][];
        for (int i = 0; i < hits.Length; i++)
            hits[i] = index.Search(vectors.AsSpan(i * dim, dim), k, exclusion, exact);
        return hits;
    }

    public Chunk GetChunk(ulong key) => index.GetChunk(key);
}
