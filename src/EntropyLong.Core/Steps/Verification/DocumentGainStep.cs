namespace EntropyLong.Core;

/// <summary>Beyond the paper: a chunk that passed verification stays kept only if, placed before the document, it also
/// lowers the entropy of the rest of the document: (sum H - sum H') / sum H over the document's tokens that are in
/// no anchor must exceed <see cref="EntropyLongOptions.MinDocumentGain"/>. H is stage 1's; H' comes from one pass over
/// [BOS; chunk; separator; as much of the document as the scorer's context holds] per kept (document, chunk), so the
/// step costs a pass per kept pair, not per candidate. Why: a chunk can pass at an anchor by merely holding the
/// anchor's word for the scorer to copy, while a document the root really depends on explains more of it (measured
/// against links in docs/METHOD.md). The others keep their judgement, marked <see cref="Verdict.BelowDocumentGain"/>.</summary>
public sealed class DocumentGainStep(IEntropyModel scorer, EntropyLongOptions options) : IBuildStep
{
    public string Name => "document_gain";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        double min = options.MinDocumentGain ?? throw new InvalidOperationException("no minimum document gain is set");
        var layout = VerificationLayout.For(scorer, options);
        var chunkTokens = new Dictionary<long, int[]>();
        var passes = new List<(BuildDocument Document, long Chunk)>();
        var groups = new List<ScoreGroup>();
        foreach (var d in block.Active)
        {
            var texts = d.Candidates.SelectMany(hits => hits ?? []).DistinctBy(hit => hit.Key).ToDictionary(hit => hit.Key, hit => hit.Text);
            foreach (long chunk in d.Verdicts.Where(v => v.Kept).Select(v => v.Chunk).Distinct())
            {
                if (!chunkTokens.TryGetValue(chunk, out var tokens)) chunkTokens[chunk] = tokens = scorer.Tokenize(texts[chunk]);
                int[] prefix = layout.Prefix(tokens);
                // Verification fitted the chunk with at least its anchor, so at least one body token fits.
                int length = Math.Min(d.Tokens.Length - d.BodyStart, layout.ContextLength - prefix.Length);
                groups.Add(new ScoreGroup(prefix, [new ScoreSequence(d.Tokens.AsMemory(d.BodyStart, length), Enumerable.Range(prefix.Length, length).ToArray())]));
                passes.Add((d, chunk));
            }
        }
        if (groups.Count == 0) return;
        var results = scorer.Score(groups, cancellationToken);
        block.Stats.DocumentGainForwardTokens += groups.ForwardTokens();

        var gains = new Dictionary<(BuildDocument, long), double>();
        var anchorMasks = new Dictionary<BuildDocument, bool[]>();
        for (int p = 0; p < passes.Count; p++)
        {
            var d = passes[p].Document;
            if (!anchorMasks.TryGetValue(d, out var inAnchor)) anchorMasks[d] = inAnchor = AnchorMask(d);
            gains[passes[p]] = Gain(d, inAnchor, results[p]);
        }
        foreach (var d in block.Active.Where(d => d.Verdicts.Any(v => v.Kept)))
        {
            d.Verdicts = d.Verdicts.Select(v =>
            {
                if (!v.Kept) return v;
                double gain = gains[(d, v.Chunk)];
                return gain > min ? v with { DocumentGain = gain } : v with { DocumentGain = gain, Kept = false, BelowDocumentGain = true };
            }).ToList();
            block.Stats.CandidatesBelowDocumentGain += d.Verdicts.Count(v => v.BelowDocumentGain);
        }
    }

    /// <summary>Which of the document's tokens belong to an anchor (every token of a word anchor).</summary>
    private static bool[] AnchorMask(BuildDocument d)
    {
        var inAnchor = new bool[d.Tokens.Length];
        foreach (var anchor in d.Anchors) Array.Fill(inAnchor, true, anchor.Start, anchor.Position - anchor.Start + 1);
        return inAnchor;
    }

    /// <summary>The share of the entropy of the document's tokens outside its anchors that a chunk removes, over the body
    /// tokens its pass scored (<paramref name="withChunk"/>[i] predicts body token i).</summary>
    private static double Gain(BuildDocument d, bool[] inAnchor, ReadOnlySpan<float> withChunk)
    {
        double without = 0, with = 0;
        for (int i = 0; i < withChunk.Length; i++)
        {
            int token = d.BodyStart + i;
            float h = d.Entropy[token];
            if (inAnchor[token] || float.IsNaN(h)) continue;
            without += h;
            with += withChunk[i];
        }
        return without > 0 ? (without - with) / without : 0;
    }
}
