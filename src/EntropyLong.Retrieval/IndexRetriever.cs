using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>The pipeline's <see cref="IRetriever"/> over an index folder (METHOD.md stage 3): the queries of a block
/// embedded in one batch (with the model's query prefix), each searched with its document's exclusion, so a query
/// never returns the document's chunks nor copies of their text.</summary>
public sealed class IndexRetriever(ChunkIndex index, IEmbedder embedder, bool exact = false) : IRetriever
{
    public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default)
    {
        if (queries.Count == 0) return [];
        int dim = embedder.Dimension;
        var vectors = new float[queries.Count * dim];
        embedder.Embed(queries.Select(q => q.Text).ToArray(), asQuery: true, vectors);
        var exclusions = new Dictionary<string, Exclusion>();
        var result = new IReadOnlyList<RetrievedChunk>[queries.Count];
        for (int i = 0; i < queries.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var q = queries[i];
            if (!exclusions.TryGetValue(q.DocumentId, out var exclusion))
                exclusions[q.DocumentId] = exclusion = index.ExclusionFor(new Document(q.DocumentId, q.DocumentText, ""));
            result[i] = index.Search(vectors.AsSpan(i * dim, dim), k, exclusion, exact)
                .Select(h => { var c = index.GetChunk(h.Key); return new RetrievedChunk((long)h.Key, c.Id, c.DocumentId, c.Text, h.Score); })
                .ToList();
        }
        return result;
    }
}
