namespace EntropyLong.Core;

/// <summary>Stage 4: every (anchor, candidate) pair of the block judged exactly, grouped by chunk so each chunk's prefix
/// is decoded once for every document of the block that retrieved it (<see cref="VerificationPlan"/>); dI = (H - H')/H,
/// a candidate kept when dI > epsilon. <paramref name="naive"/> judges each pair with its own pass (the test oracle).</summary>
public sealed class VerificationStep(IEntropyModel scorer, EntropyLongOptions options, bool naive = false) : IBuildStep
{
    public string Name => "verification";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        var plan = Plan(block.Documents, naive);
        var results = scorer.Score(plan.Groups, cancellationToken, done => block.ReportProgress((double)done / plan.Groups.Count));
        var verdicts = plan.Decide(results, options.Epsilon);
        var byDocument = verdicts.GroupBy(v => v.Document).ToDictionary(g => g.Key, g => (IReadOnlyList<Verdict>)g.ToList());
        for (int d = 0; d < block.Documents.Count; d++) block.Documents[d].Verdicts = byDocument.GetValueOrDefault(d) ?? [];
        block.Stats.ForwardTokens += plan.ForwardTokens;
        block.Stats.NaiveForwardTokens += plan.NaiveForwardTokens;
        block.Stats.CandidatesJudged += plan.PairsJudged;
        block.Stats.CandidatesUnfit += plan.PairsUnfit;
    }

    /// <summary>The verification plan for <paramref name="documents"/> (verdicts refer to them by index); documents
    /// ruled out by an earlier step have nothing judged, nor have candidates a guard excluded.</summary>
    public VerificationPlan Plan(IReadOnlyList<BuildDocument> documents, bool naive = false)
    {
        var chunkTokens = new Dictionary<long, int[]>();
        foreach (var d in documents.Where(d => !d.Skipped))
            foreach (var hit in Judged(d).SelectMany(hits => hits))
                if (!chunkTokens.ContainsKey(hit.Key)) chunkTokens[hit.Key] = scorer.Tokenize(hit.Text);
        var layout = VerificationLayout.For(scorer, options);
        var candidates = documents.Select(d => d.Skipped
            ? new DocumentCandidates(d.Tokens, d.BodyStart, [], [])
            : new DocumentCandidates(d.Tokens, d.BodyStart, d.Anchors, Judged(d).Select(hits => hits.Select(h => h.Key).ToArray()).ToArray())).ToList();
        return naive ? VerificationPlan.Naive(candidates, chunkTokens, layout) : VerificationPlan.Grouped(candidates, chunkTokens, layout);
    }

    /// <summary>Each anchor's candidates that no guard excluded.</summary>
    private static IEnumerable<IEnumerable<RetrievedChunk>> Judged(BuildDocument d) =>
        d.Candidates.Select(hits => (hits ?? []).Where(h => !d.Excluded.ContainsKey(h.Key)));
}
