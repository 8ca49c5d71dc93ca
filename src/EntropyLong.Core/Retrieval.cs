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
