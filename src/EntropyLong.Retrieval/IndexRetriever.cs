using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>The pipeline's <see cref="IRetriever"/> over an index folder: queries embedded in one batch (with the
/// model's query prefix), each searched with its document's chunks and their exact texts excluded.</summary>
public sealed class IndexRetriever(ChunkIndex index, IEmbedder embedder, bool exact = false) : IRetriever
{
    public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default)
    {
        var vectors = embedder.Embed(queries.Select(q => q.Text).ToArray(), asQuery: true);
        var exclusions = new Dictionary<string, Exclusion>();
        var result = new IReadOnlyList<RetrievedChunk>[queries.Count];
        for (int i = 0; i < queries.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var q = queries[i];
            if (!exclusions.TryGetValue(q.DocumentId, out var exclusion))
                exclusions[q.DocumentId] = exclusion = index.ExclusionFor(new Document(q.DocumentId, q.DocumentText, ""));
            result[i] = index.Search(vectors[i], k, exclusion, exact)
                .Select(h => { var c = index.GetChunk(h.Key); return new RetrievedChunk((long)h.Key, c.Id, c.DocumentId, c.Text, h.Score); })
                .ToList();
        }
        return result;
    }
}
