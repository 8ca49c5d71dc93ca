namespace EntropyLong.Core;

/// <summary>A query made for an anchor of a document; the retriever must never return the document's own chunks
/// (nor chunks whose text equals one of them).</summary>
public sealed record RetrievalQuery(string Text, string DocumentId, string DocumentText);

/// <summary>A retrieved chunk. <see cref="Key"/> is the index's stable numeric key.</summary>
public sealed record RetrievedChunk(long Key, string ChunkId, string DocumentId, string Text, float Score);

/// <summary>The seam to retrieval (ONNX embedder + USearch index in production, an in-memory fake in tests).</summary>
public interface IRetriever
{
    /// <summary>Up to k chunks per query, best first, the query's own document excluded.</summary>
    IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default);
}

/// <summary>Retrieval that never returns the chunks <paramref name="excluded"/> holds for, still up to k per query: a
/// build over a corpus's training split keeps its held-out documents' text out of every context, so that a model
/// trained on the build is evaluated on text it has not seen; NExtLong's distractors skip chunks of evaluation data.</summary>
public sealed class ExcludingRetriever(IRetriever inner, Func<RetrievedChunk, bool> excluded) : IRetriever
{
    private long _excluded;

    /// <summary>Hits passed over so far: per query, the excluded ones ranked above its last kept hit (all of them when
    /// the index ran out before k), so the figure does not depend on how often a query had to be asked again.</summary>
    public long Excluded => Interlocked.Read(ref _excluded);

    // Asking for more hits than a query can lose is the rare case (excluded chunks are a small share), so the
    // queries short of k after filtering are asked again with twice the k until they have k or the index runs out.
    public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default)
    {
        var result = new IReadOnlyList<RetrievedChunk>[queries.Count];
        var pending = Enumerable.Range(0, queries.Count).ToList();
        for (int asked = k; pending.Count > 0; asked = (int)Math.Min(2L * asked, int.MaxValue))
        {
            var hits = inner.Retrieve(pending.Select(q => queries[q]).ToList(), asked, cancellationToken);
            var shortOfK = new List<int>();
            for (int i = 0; i < pending.Count; i++)
            {
                var kept = new List<RetrievedChunk>(k);
                int passedOver = 0;
                foreach (var hit in hits[i])
                {
                    if (kept.Count == k) break;
                    if (excluded(hit)) passedOver++; else kept.Add(hit);
                }
                result[pending[i]] = kept;
                if (kept.Count < k && hits[i].Count == asked && asked < int.MaxValue) shortOfK.Add(pending[i]);
                else Interlocked.Add(ref _excluded, passedOver);
            }
            pending = shortOfK;
        }
        return result;
    }
}
