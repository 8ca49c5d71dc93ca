namespace EntropyLong.Core;

/// <summary>Beyond the paper: at most <paramref name="max"/> kept chunks per anchor, the best-ranked by retrieval first.
/// Verification tells which anchors a corpus can explain better than which of an anchor's candidates explains it:
/// among several chunks that each lower the entropy, the one the retriever ranked highest is the likelier real
/// dependency (measured against links in docs/METHOD.md). The others keep their judgement and are marked capped.</summary>
public sealed class PerAnchorCapStep(int max) : IBuildStep
{
    public string Name => "per_anchor_cap";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            var capped = d.Verdicts.Where(v => v.Kept).GroupBy(v => v.Anchor)
                .SelectMany(kept => kept.OrderBy(v => Rank(d, v)).Skip(max))
                .Select(v => (v.Anchor, v.Chunk)).ToHashSet();
            if (capped.Count == 0) continue;
            d.Verdicts = d.Verdicts.Select(v => capped.Contains((v.Anchor, v.Chunk)) ? v with { Kept = false, Capped = true } : v).ToList();
            block.Stats.CandidatesCapped += capped.Count;
        }
    }

    // Where the chunk stands among the anchor's candidates (best first; a chunk appears at most once per anchor).
    private static int Rank(BuildDocument d, Verdict v)
    {
        var hits = d.Candidates[v.Anchor];
        for (int i = 0; i < hits.Count; i++)
            if (hits[i].Key == v.Chunk) return i;
        throw new InvalidOperationException($"chunk {v.Chunk} was judged for anchor {v.Anchor} of {d.Id} but not retrieved for it");
    }
}
