namespace EntropyLong.Core.Tests;

public class VerificationPlanTests
{
    private static readonly VerificationLayout Layout = new(Bos: 1, Separator: [2, 2], ContextLength: 64, CutQuantum: 8);

    private static DocumentCandidates Doc(int length, (int Pos, float H, long[] Chunks)[] anchors) =>
        new(Enumerable.Range(0, length).Select(i => i == 0 ? 1 : 100 + i).ToArray(), 1,
            anchors.Select(a => new Anchor(a.Pos, a.H)).ToArray(), anchors.Select(a => a.Chunks).ToArray());

    [Fact]
    public void OnePassPerDocumentAndChunkTruncatedAfterItsLastAnchor()
    {
        var chunks = new Dictionary<long, int[]> { [7] = [50, 51, 52], [8] = [60] };
        var docs = new[] { Doc(30, [(5, 3f, [7, 8]), (12, 4f, [7])]) };
        var plan = VerificationPlan.Grouped(docs, chunks, Layout);
        // Chunk 7: prefix [BOS, 50, 51, 52, SEP, SEP] decoded once, then the body up to anchor 12 (body index 11).
        var g7 = plan.Groups.Single(g => g.Prefix.Length == 6);
        var seq = Assert.Single(g7.Sequences);
        Assert.Equal(12, seq.Tokens.Length);
        Assert.Equal([6 + 4, 6 + 11], seq.Positions);
        var g8 = plan.Groups.Single(g => g.Prefix.Length == 4);
        Assert.Equal([4 + 4], Assert.Single(g8.Sequences).Positions);
        Assert.Equal(6 + 12 + 4 + 5, plan.ForwardTokens);
        // Naive: (6 + 5) + (6 + 12) + (4 + 5).
        Assert.Equal(11 + 18 + 9, plan.NaiveForwardTokens);
        Assert.Equal(3, plan.PairsJudged);
    }

    [Fact]
    public void AChunkSharedByTwoDocumentsIsDecodedOnce()
    {
        var chunks = new Dictionary<long, int[]> { [7] = [50, 51, 52] };
        var docs = new[] { Doc(20, [(5, 3f, [7])]), Doc(20, [(9, 3f, [7])]) };
        var plan = VerificationPlan.Grouped(docs, chunks, Layout);
        var group = Assert.Single(plan.Groups);
        Assert.Equal(2, group.Sequences.Count);
        Assert.Equal(6 + 5 + 9, plan.ForwardTokens);
    }

    [Fact]
    public void DecisionRuleIsRelativeReductionAboveEpsilon()
    {
        var chunks = new Dictionary<long, int[]> { [7] = [50], [8] = [60] };
        var docs = new[] { Doc(20, [(5, 2f, [7, 8])]) };
        var plan = VerificationPlan.Grouped(docs, chunks, Layout);
        // Groups are ordered by chunk key: 7 then 8. H' = 1.0 gives dI = 0.5; H' = 1.3 gives 0.35.
        var verdicts = plan.Decide([[1.0f], [1.3f]], epsilon: 0.4);
        Assert.Equal([(7L, true), (8L, false)], verdicts.Select(v => (v.Chunk, v.Kept)));
        Assert.Equal(0.5, verdicts[0].Delta, 6);
    }

    [Fact]
    public void LongDocumentsAreCutAndComparedAgainstTheSameCutBaseline()
    {
        var chunks = new Dictionary<long, int[]> { [7] = Enumerable.Range(0, 20).ToArray() };
        // Prefix = 1 + 20 + 2 = 23 tokens; budget 64 - 23 = 41 body tokens.
        var docs = new[] { Doc(100, [(10, 3f, [7]), (60, 3f, [7])]) };
        var plan = VerificationPlan.Grouped(docs, chunks, Layout);
        int k = 59; // body index of the second anchor
        int cut = VerificationPlan.CutFor(k, 41, 8);
        Assert.Equal(24, cut); // exact cut 19, rounded up to the quantum
        Assert.True(k - cut + 1 <= 41);
        // A baseline group [BOS] + body[cut..k] plus one chunk group holding two passes (uncut and cut).
        var baseline = plan.Groups.Single(g => g.Prefix.Length == 1);
        Assert.Equal([1 + k - cut], Assert.Single(baseline.Sequences).Positions);
        var chunkGroup = plan.Groups.Single(g => g.Prefix.Length == 23);
        Assert.Equal(2, chunkGroup.Sequences.Count);
        var verdicts = plan.Decide([[2.0f], [1.5f], [1.0f]], 0.4);
        // Uncut anchor: H from the base pass (3.0), H' 1.5 -> 0.5. Cut anchor: H from the baseline (2.0), H' 1.0 -> 0.5.
        Assert.Equal([3f, 2f], verdicts.Select(v => v.H));
        Assert.All(verdicts, v => Assert.Equal(0.5, v.Delta, 6));
    }

    [Fact]
    public void AWordAnchorIsJudgedAtEachOfItsTokensAndComparedBySums()
    {
        var chunks = new Dictionary<long, int[]> { [7] = [50], [8] = [60] };
        // A word over tokens 4..6 (body indices 3..5) with summed H 6, and a token anchor at 9 (body index 8).
        var docs = new[] { new DocumentCandidates(Enumerable.Range(0, 20).Select(i => i == 0 ? 1 : 100 + i).ToArray(), 1,
            [new Anchor(6, 6f) { Start = 4 }, new Anchor(9, 2f)], [[7, 8], [7]]) };
        var grouped = VerificationPlan.Grouped(docs, chunks, Layout);
        Assert.Equal([4 + 3, 4 + 4, 4 + 5, 4 + 8], Assert.Single(grouped.Groups[0].Sequences).Positions);
        Assert.Equal([4 + 3, 4 + 4, 4 + 5], Assert.Single(grouped.Groups[1].Sequences).Positions);
        var verdicts = grouped.Decide([[1f, 0.5f, 1f, 1.5f], [2f, 2f, 1f]], epsilon: 0.4);
        // Word with chunk 7: H' = 2.5, dI = 3.5/6 (kept); with chunk 8: H' = 5, dI = 1/6; token with chunk 7: H' 1.5, dI 0.25.
        Assert.Equal([(0, 7L, 2.5f, true), (0, 8L, 5f, false), (1, 7L, 1.5f, false)], verdicts.Select(v => (v.Anchor, v.Chunk, v.HPrime, v.Kept)));
        Assert.Equal(3.5 / 6, verdicts[0].Delta, 6);

        // The naive plan asks for the same positions, one pass per pair, and decides the same.
        var naive = VerificationPlan.Naive(docs, chunks, Layout);
        Assert.Equal(3, naive.Groups.Count);
        Assert.Equal([4 + 3, 4 + 4, 4 + 5], naive.Groups[0].Sequences[0].Positions);
        Assert.Equal(verdicts, naive.Decide([[1f, 0.5f, 1f], [1.5f], [2f, 2f, 1f]], epsilon: 0.4));
    }

    // A 100-token document whose one anchor retrieved a 20-token chunk: the prefix is 23 tokens, leaving 41 for the body.
    private static VerificationPlan WordInALongDocument(Anchor anchor) => VerificationPlan.Grouped(
        [new DocumentCandidates(Enumerable.Range(0, 100).Select(i => i == 0 ? 1 : 100 + i).ToArray(), 1, [anchor], [[7]])],
        new Dictionary<long, int[]> { [7] = Enumerable.Range(0, 20).ToArray() }, Layout);

    [Fact]
    public void ACutWordAnchorIsComparedWithTheCutBaselineSummedOverItsTokens()
    {
        // Budget 41 body tokens; a word at body indices 57..59 is judged with the cut at 24, so each token gets a baseline.
        var plan = WordInALongDocument(new Anchor(60, 9f) { Start = 58 });
        var baseline = plan.Groups.Single(g => g.Prefix.Length == 1);
        Assert.Equal([1 + 57 - 24, 1 + 58 - 24, 1 + 59 - 24], Assert.Single(baseline.Sequences).Positions);
        var verdict = Assert.Single(plan.Decide([[1f, 2f, 3f], [0.5f, 1f, 1.5f]], 0.4));
        Assert.Equal((6f, 3f, 0.5), (verdict.H, verdict.HPrime, verdict.Delta));
    }

    [Fact]
    public void AWordTheCutWouldSplitIsCountedNotJudged()
    {
        // Budget 41: a word over body indices 20..59 needs the cut at 24, inside the word.
        var plan = WordInALongDocument(new Anchor(60, 9f) { Start = 21 });
        Assert.Empty(plan.Groups);
        Assert.Equal((1L, 0L), (plan.PairsUnfit, plan.PairsJudged));
    }

    [Fact]
    public void ChunksThatLeaveNoRoomAreCountedNotJudged()
    {
        var chunks = new Dictionary<long, int[]> { [7] = Enumerable.Range(0, 70).ToArray() };
        var plan = VerificationPlan.Grouped([Doc(20, [(5, 3f, [7])])], chunks, Layout);
        Assert.Empty(plan.Groups);
        Assert.Equal(1, plan.PairsUnfit);
        Assert.Equal(0, plan.PairsJudged);
    }
}
