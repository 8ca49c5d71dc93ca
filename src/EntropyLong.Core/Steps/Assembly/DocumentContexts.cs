namespace EntropyLong.Core;

/// <summary>A document's candidate chunks as the contexts stage 5 places: verified ones, hard negatives, or (the
/// `retrieval` baseline) the top retrieved ones, unjudged.</summary>
internal sealed class DocumentContexts
{
    private readonly BuildDocument _d;
    private readonly IEntropyModel _scorer;
    private readonly Dictionary<long, RetrievedChunk> _chunks = new();
    private readonly int[] _offsets;

    public DocumentContexts(BuildDocument d, IEntropyModel scorer)
    {
        (_d, _scorer) = (d, scorer);
        // The first hit of a chunk: its best retrieval score (hits come best first).
        foreach (var hits in d.Candidates)
            foreach (var hit in hits ?? []) _chunks.TryAdd(hit.Key, hit);
        _offsets = TokenPieces.Offsets(d.Pieces);
    }

    /// <summary>Each kept chunk once, at the verdict where it lowered the entropy most.</summary>
    public List<SampleContext> Verified() =>
        _d.Verdicts.Where(v => v.Kept).GroupBy(v => v.Chunk).Select(g => Context(Best(g), ContextKind.Verified)).ToList();

    /// <summary>Up to <paramref name="count"/> chunks judged for the document that passed verification at none of its
    /// anchors (a capped chunk passed, so it is no negative), the closest to an anchor's query first (highest retrieval
    /// score, then chunk id), each at its best failed verdict.</summary>
    public IEnumerable<SampleContext> HardNegatives(int count)
    {
        var passed = _d.Verdicts.Where(v => v.Passed).Select(v => v.Chunk).ToHashSet();
        var score = new Dictionary<long, float>();
        foreach (var hit in _d.Candidates.SelectMany(hits => hits ?? []))
            score[hit.Key] = Math.Max(score.GetValueOrDefault(hit.Key, float.NegativeInfinity), hit.Score);
        return _d.Verdicts.Where(v => !passed.Contains(v.Chunk)).GroupBy(v => v.Chunk)
            .OrderByDescending(g => score[g.Key]).ThenBy(g => _chunks[g.Key].ChunkId, StringComparer.Ordinal)
            .Take(count)
            .Select(g => Context(Best(g), ContextKind.Negative));
    }

    /// <summary>Up to <paramref name="count"/> distinct chunks, unjudged, in retrieval rank order taken across anchors in
    /// turn (every anchor's best, then every anchor's second, ...); chunks a guard excluded are passed over. Each is
    /// placed at the anchor that retrieved it first, with that anchor's H and no H' or dI.</summary>
    public List<SampleContext> Retrieved(int count)
    {
        var taken = new List<SampleContext>();
        var seen = new HashSet<long>();
        int depth = _d.Candidates.Select(h => h?.Count ?? 0).DefaultIfEmpty(0).Max();
        for (int rank = 0; rank < depth && taken.Count < count; rank++)
            for (int a = 0; a < _d.Anchors.Length && taken.Count < count; a++)
            {
                if (_d.Candidates[a] is not { } hits || rank >= hits.Count) continue;
                var hit = hits[rank];
                if (_d.Excluded.ContainsKey(hit.Key) || !seen.Add(hit.Key)) continue;
                taken.Add(Placed(hit, _d.Anchors[a], _d.Anchors[a].Entropy, float.NaN, double.NaN, ContextKind.Retrieved));
            }
        return taken;
    }

    private static Verdict Best(IEnumerable<Verdict> verdicts) => verdicts.OrderByDescending(v => v.Delta).ThenBy(v => v.Anchor).First();

    private SampleContext Context(Verdict v, ContextKind kind) => Placed(_chunks[v.Chunk], _d.Anchors[v.Anchor], v.H, v.HPrime, v.Delta, kind);

    // A chunk placed for an anchor: where the anchor sits in the document (its last token; the character where its text
    // starts), its text (a whole word with word anchors), and the judgement (if any).
    private SampleContext Placed(RetrievedChunk chunk, Anchor anchor, float h, float hPrime, double delta, ContextKind kind) =>
        new(chunk.ChunkId, chunk.DocumentId, chunk.Text, anchor.Position, AnchorChar(anchor.Start),
            _scorer.Detokenize(_d.Tokens.AsSpan(anchor.Start, anchor.Position - anchor.Start + 1)), h, hPrime, delta) { Kind = kind };

    // Where a token starts in the document (clamped: a tokenizer may detokenize to other text, such as a leading
    // space). The tail of a character split across tokens has an empty piece: its character starts at the head's.
    private int AnchorChar(int position)
    {
        while (position > _d.BodyStart && _d.Pieces[position].Length == 0) position--;
        return Math.Min(_offsets[position], _d.Source.Text.Length);
    }
}
