using EntropyLong.Core;

namespace EntropyLong.TestSupport;

/// <summary>A retriever over in-memory chunks ranked by shared words: enough to drive the pipeline without ONNX.</summary>
public sealed class LexicalRetriever(IReadOnlyList<Document> corpus) : IRetriever
{
    private readonly List<(long Key, string Id, string Doc, string Text, HashSet<string> Words)> _chunks = corpus
        .SelectMany(d => d.Text.Split('\n').Where(l => l.Trim().Length > 0).Select((line, i) => (d.Id, i, line)))
        .Select((c, key) => ((long)key, $"{c.Id}#{c.i}", c.Id, c.line, Words(c.line)))
        .ToList();

    private static HashSet<string> Words(string s) => s.ToLowerInvariant().Split([' ', '.', ',', ':', ';'], StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default) =>
        queries.Select(q =>
        {
            var words = Words(q.Text);
            return (IReadOnlyList<RetrievedChunk>)_chunks.Where(c => c.Doc != q.DocumentId)
                .Select(c => (c, score: c.Words.Count(words.Contains) / (float)(1 + c.Words.Count)))
                .OrderByDescending(x => x.score).ThenBy(x => x.c.Key).Take(k)
                .Select(x => new RetrievedChunk(x.c.Key, x.c.Id, x.c.Doc, x.c.Text, x.score)).ToList();
        }).ToList();
}
