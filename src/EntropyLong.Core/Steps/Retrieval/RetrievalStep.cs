namespace EntropyLong.Core;

/// <summary>Stage 3: a query per anchor (the scorer's tokens t-w .. t+w, as text) and its K nearest corpus chunks; the
/// retriever never returns the document's own chunks. All queries of a block go to the retriever together.</summary>
public sealed class RetrievalStep(IRetriever retriever, IEntropyModel scorer, EntropyLongOptions options) : IBuildStep
{
    public string Name => "retrieval";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        var queries = new List<RetrievalQuery>();
        var owners = new List<(BuildDocument Doc, int Anchor)>();
        foreach (var d in block.Active)
        {
            d.Queries = new string[d.Anchors.Length];
            d.Candidates = new IReadOnlyList<RetrievedChunk>[d.Anchors.Length];
            for (int a = 0; a < d.Anchors.Length; a++)
            {
                var (start, end) = QueryWindow(d.Anchors[a].Position, d.Tokens.Length, options.Window);
                start = Math.Max(start, d.BodyStart);
                d.Queries[a] = scorer.Detokenize(d.Tokens.AsSpan(start, end - start));
                queries.Add(new RetrievalQuery(d.Queries[a], d.Id, d.Source.Text));
                owners.Add((d, a));
            }
        }
        if (queries.Count == 0) return;
        var hits = retriever.Retrieve(queries, options.TopK, cancellationToken);
        for (int q = 0; q < owners.Count; q++) owners[q].Doc.Candidates[owners[q].Anchor] = hits[q];
    }

    /// <summary>The query window for anchor t: tokens t-w .. t+w clipped to the document, as [start, end).</summary>
    public static (int Start, int End) QueryWindow(int position, int tokenCount, int w) =>
        (Math.Max(0, position - w), Math.Min(tokenCount, position + w + 1));
}
