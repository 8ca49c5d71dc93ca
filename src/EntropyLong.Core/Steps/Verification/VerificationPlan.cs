namespace EntropyLong.Core;

/// <summary>One document's anchors and, for each anchor, its retrieved candidate chunk keys.</summary>
/// <param name="Tokens">The scored token sequence (BOS first when the model uses one).</param>
/// <param name="BodyStart">1 when Tokens[0] is BOS, else 0: the document body is Tokens[BodyStart..].</param>
public sealed record DocumentCandidates(int[] Tokens, int BodyStart, Anchor[] Anchors, long[][] Candidates);

/// <summary>The judgement of one (anchor, candidate) pair (stage 4); for a word anchor, H and H' are sums over its tokens.</summary>
public readonly record struct Verdict(int Document, int Anchor, long Chunk, float H, float HPrime, double Delta, bool Kept)
{
    /// <summary>Passed verification but not kept: the anchor already had its share of better-ranked chunks (<see cref="PerAnchorCapStep"/>).</summary>
    public bool Capped { get; init; }

    /// <summary>Passed verification but not kept: placed before the document it lowered the entropy of the rest of the
    /// document too little (<see cref="DocumentGainStep"/>).</summary>
    public bool BelowDocumentGain { get; init; }

    /// <summary>What the chunk removes of the entropy of the document's tokens outside its anchors, where
    /// <see cref="DocumentGainStep"/> measured it (chunks that passed verification).</summary>
    public double? DocumentGain { get; init; }

    /// <summary>Passed verification (dI > epsilon), whether kept, capped or below the document gain.</summary>
    public bool Passed => Kept || Capped || BelowDocumentGain;
}

/// <summary>What the verifier needs to know about the scoring model and the join between chunk and document.</summary>
/// <param name="Bos">BOS token placed first in every verification input, when the model uses one.</param>
/// <param name="Separator">Tokens between a chunk and the document.</param>
/// <param name="CutQuantum">When [chunk; document prefix] exceeds the context, the document prefix is cut from the
/// left at a multiple of this many tokens, so anchors and chunks share the cut prefix's baseline pass.</param>
public sealed record VerificationLayout(int? Bos, int[] Separator, int ContextLength, int CutQuantum = 64)
{
    /// <summary>The layout <paramref name="scorer"/> judges with: its BOS when it adds one, the options' separator.</summary>
    public static VerificationLayout For(IEntropyModel scorer, EntropyLongOptions options) =>
        new(scorer.Info.AddsBos ? scorer.Info.BosToken : null, scorer.Tokenize(options.Separator), scorer.Info.ContextLength);

    /// <summary>What precedes the document in a pass with <paramref name="chunk"/>: [BOS;] chunk; separator.</summary>
    public int[] Prefix(int[] chunk) => Bos is int b ? [b, .. chunk, .. Separator] : [.. chunk, .. Separator];

    public int PrefixLength(int[] chunk) => (Bos is null ? 0 : 1) + chunk.Length + Separator.Length;
}

/// <summary>Stage 4 planned for a block of documents (METHOD.md, exactness note): H'(t) depends only on the chunk and
/// x_1..x_t, so one pass over [chunk; document up to its last anchor that retrieved the chunk] judges every such
/// anchor, and the chunk's own prefix is decoded once for all documents of the block that retrieved it.
/// The naive plan judges each (anchor, candidate) pair with its own pass; both see the same inputs at each
/// judged position, so they make the same decisions. A word anchor is judged at each of its tokens.</summary>
public sealed class VerificationPlan
{
    // BodyIndex: the judged token's index in the document body; Anchor is -1 for a baseline position.
    private readonly record struct Slot(int Document, int Anchor, long Chunk, bool Baseline, int Cut, int BodyIndex);

    private readonly List<ScoreGroup> _groups = new();
    // Parallel to the flattened sequences of _groups: which judgement each requested position feeds.
    private readonly List<Slot[]> _slots = new();
    private readonly IReadOnlyList<DocumentCandidates> _documents;

    /// <summary>LM tokens the plan makes the engine decode.</summary>
    public long ForwardTokens { get; }
    /// <summary>LM tokens judging every (anchor, candidate) pair with its own pass would decode.</summary>
    public long NaiveForwardTokens { get; }
    /// <summary>(anchor, candidate) pairs judged; pairs whose chunk leaves no room for the document (or for all of a word
    /// anchor) are not.</summary>
    public long PairsJudged { get; }
    public long PairsUnfit { get; }
    public IReadOnlyList<ScoreGroup> Groups => _groups;

    private VerificationPlan(IReadOnlyList<DocumentCandidates> documents, IReadOnlyDictionary<long, int[]> chunkTokens,
        VerificationLayout layout, bool naive)
    {
        _documents = documents;
        int bosCount = layout.Bos is null ? 0 : 1;
        // (document, cut) -> body positions whose baseline entropy must be recomputed with that cut.
        var baselines = new SortedDictionary<(int Doc, int Cut), SortedSet<int>>();
        // chunk -> (document, cut) -> anchor indices judged in that pass.
        var passes = new SortedDictionary<long, SortedDictionary<(int Doc, int Cut), List<int>>>();
        long naiveTokens = 0, judged = 0, unfit = 0;

        for (int d = 0; d < documents.Count; d++)
        {
            var doc = documents[d];
            for (int a = 0; a < doc.Anchors.Length; a++)
            {
                var (first, k) = BodySpan(doc, a);
                if (first < 0) continue;
                foreach (long chunk in doc.Candidates[a].Distinct())
                {
                    int prefix = layout.PrefixLength(chunkTokens[chunk]);
                    int budget = layout.ContextLength - prefix;
                    if (budget < 1) { unfit++; continue; }
                    int cut = CutFor(k, budget, layout.CutQuantum);
                    if (cut > first) { unfit++; continue; } // the cut would split the word
                    judged++;
                    naiveTokens += prefix + (k - cut + 1);
                    if (cut > 0)
                        for (int t = first; t <= k; t++) Add(baselines, (d, cut), t);
                    if (!passes.TryGetValue(chunk, out var byDoc)) passes[chunk] = byDoc = new();
                    if (!byDoc.TryGetValue((d, cut), out var anchors)) byDoc[(d, cut)] = anchors = new();
                    anchors.Add(a);
                }
            }
        }

        foreach (var ((d, cut), positions) in baselines)
        {
            var body = Body(documents[d]);
            int end = positions.Max + 1;
            var seq = new ScoreSequence(body[cut..end], positions.Select(k => bosCount + k - cut).ToArray());
            AddGroup(layout.Bos is int b ? new[] { b } : Array.Empty<int>(), [seq],
                [positions.Select(k => new Slot(d, -1, -1, true, cut, k)).ToArray()], ref naiveTokens, countNaive: true);
        }

        foreach (var (chunk, byDoc) in passes)
        {
            int[] prefix = layout.Prefix(chunkTokens[chunk]);
            var seqs = new List<ScoreSequence>();
            var slots = new List<Slot[]>();
            foreach (var ((d, cut), anchors) in byDoc)
            {
                var doc = documents[d];
                anchors.Sort();
                // Every judged body index of each anchor (one, or each token of a word), in order, and where each sits in a
                // pass that starts with the prefix.
                var judgedAt = anchors.Select(a => BodySpan(doc, a))
                    .Select((span, i) => Enumerable.Range(span.First, span.Last - span.First + 1).Select(k => new Slot(d, anchors[i], chunk, false, cut, k)).ToArray())
                    .ToList();
                int[] Positions(IEnumerable<Slot> judged) => judged.Select(x => prefix.Length + x.BodyIndex - cut).ToArray();
                if (naive)
                {
                    // One pass per pair: the prefix and the document up to that anchor, nothing shared.
                    foreach (var anchorSlots in judgedAt)
                    {
                        int[] whole = [.. prefix, .. Body(doc)[cut..(anchorSlots[^1].BodyIndex + 1)]];
                        AddGroup(Array.Empty<int>(), [new ScoreSequence(whole, Positions(anchorSlots))], [anchorSlots], ref naiveTokens, false);
                    }
                }
                else
                {
                    var slot = judgedAt.SelectMany(x => x).ToArray();
                    // The pass ends at the last judged token of the document's last anchor.
                    seqs.Add(new ScoreSequence(Body(doc)[cut..(slot[^1].BodyIndex + 1)], Positions(slot)));
                    slots.Add(slot);
                }
            }
            if (!naive) AddGroup(prefix, seqs, slots, ref naiveTokens, false);
        }

        ForwardTokens = _groups.ForwardTokens();
        NaiveForwardTokens = naiveTokens;
        PairsJudged = judged;
        PairsUnfit = unfit;
    }

    public static VerificationPlan Grouped(IReadOnlyList<DocumentCandidates> documents, IReadOnlyDictionary<long, int[]> chunkTokens, VerificationLayout layout) =>
        new(documents, chunkTokens, layout, naive: false);

    public static VerificationPlan Naive(IReadOnlyList<DocumentCandidates> documents, IReadOnlyDictionary<long, int[]> chunkTokens, VerificationLayout layout) =>
        new(documents, chunkTokens, layout, naive: true);

    /// <summary>The cut for body index k: none while [prefix; body[0..k]] fits, else the smallest multiple of the
    /// quantum that makes it fit (exact when the quantum would cut past k). A function of k alone, so grouped
    /// and naive judging see identical inputs.</summary>
    public static int CutFor(int k, int budget, int quantum)
    {
        if (k + 1 <= budget) return 0;
        int exact = k + 1 - budget;
        int rounded = (exact + quantum - 1) / quantum * quantum;
        return rounded <= k ? rounded : exact;
    }

    /// <summary>Stage 4's rule on the engine's results: dI = (H - H') / H, kept when dI > epsilon. H is the base
    /// pass entropy, or the baseline recomputed with the same cut prefix when the document had to be cut.</summary>
    public IReadOnlyList<Verdict> Decide(float[][] results, double epsilon)
    {
        if (results.Length != _slots.Count) throw new ArgumentException("results do not match the plan", nameof(results));
        var baseline = new Dictionary<(int Doc, int Cut, int Pos), float>();
        // (document, anchor, chunk) -> its cut and H' summed over its judged tokens in order (one term for a token anchor).
        var pending = new Dictionary<(int Doc, int Anchor, long Chunk), (int Cut, double HPrime)>();
        for (int s = 0; s < _slots.Count; s++)
            for (int i = 0; i < _slots[s].Length; i++)
            {
                var slot = _slots[s][i];
                if (slot.Baseline) { baseline[(slot.Document, slot.Cut, slot.BodyIndex)] = results[s][i]; continue; }
                var key = (slot.Document, slot.Anchor, slot.Chunk);
                pending[key] = (slot.Cut, pending.GetValueOrDefault(key).HPrime + results[s][i]);
            }
        var verdicts = new List<Verdict>(pending.Count);
        foreach (var ((d, a, chunk), (cut, sum)) in pending)
        {
            var (first, last) = BodySpan(_documents[d], a);
            float h = cut == 0 ? _documents[d].Anchors[a].Entropy : BaselineSum(baseline, d, cut, first, last);
            float hPrime = (float)sum;
            double delta = h > 0 ? (h - hPrime) / h : 0;
            verdicts.Add(new Verdict(d, a, chunk, h, hPrime, delta, delta > epsilon));
        }
        return verdicts.OrderBy(v => v.Document).ThenBy(v => v.Anchor).ThenBy(v => v.Chunk).ToList();
    }

    private static float BaselineSum(Dictionary<(int, int, int), float> baseline, int d, int cut, int first, int last)
    {
        double sum = 0;
        for (int k = first; k <= last; k++) sum += baseline[(d, cut, k)];
        return (float)sum;
    }

    private void AddGroup(int[] prefix, List<ScoreSequence> seqs, List<Slot[]> slots, ref long naiveTokens, bool countNaive)
    {
        var group = new ScoreGroup(prefix, seqs);
        _groups.Add(group);
        _slots.AddRange(slots);
        if (countNaive) naiveTokens += group.Prefix.Length + seqs.Sum(s => (long)s.Tokens.Length);
    }

    private static void Add(SortedDictionary<(int, int), SortedSet<int>> map, (int, int) key, int k)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = new();
        set.Add(k);
    }

    private static int[] Body(DocumentCandidates doc) => doc.Tokens[doc.BodyStart..];
    // Body indices of an anchor's first and last token (the same for a token anchor).
    private static (int First, int Last) BodySpan(DocumentCandidates doc, int anchor) =>
        (doc.Anchors[anchor].Start - doc.BodyStart, doc.Anchors[anchor].Position - doc.BodyStart);
}
