namespace EntropyLong.Core.Tests;

public class AnchorTests
{
    [Fact]
    public void ThresholdIsMeanPlusAlphaStdOverScoredPositions()
    {
        float[] h = [float.NaN, 1, 1, 1, 1, 6];
        // mean 2, population std 2: tau = 2 + 1.0 * 2 = 4.
        var (tau, anchors) = Anchors.Select(h, alpha: 1.0);
        Assert.Equal(4.0, tau, 9);
        Assert.Equal([new Anchor(5, 6)], anchors);
    }

    [Fact]
    public void StrictlyAboveTheThresholdOnly()
    {
        float[] h = [float.NaN, 2, 2, 2];
        var (tau, anchors) = Anchors.Select(h, alpha: 2.0);
        Assert.Equal(2.0, tau, 9);
        Assert.Empty(anchors);
    }

    [Fact]
    public void CapKeepsTheHighestEntropiesInPositionOrder()
    {
        float[] h = [float.NaN, 9, 0, 0, 8, 0, 0, 10, 0, 0, 0, 0];
        var (_, all) = Anchors.Select(h, alpha: 0.5);
        Assert.Equal([1, 4, 7], all.Select(a => a.Position));
        var (_, capped) = Anchors.Select(h, alpha: 0.5, cap: 2);
        Assert.Equal([1, 7], capped.Select(a => a.Position));
    }

    [Fact]
    public void SkipFirstKeepsTheThresholdButPlacesNoAnchorBeforeIt()
    {
        float[] h = [float.NaN, 9, 0, 0, 8, 0, 0, 10, 0, 0, 0, 0];
        var (tau, all) = Anchors.Select(h, alpha: 0.5);
        var (skippedTau, skipped) = Anchors.Select(h, alpha: 0.5, skipFirst: 2);
        Assert.Equal(tau, skippedTau);
        Assert.Equal([4, 7], skipped.Select(a => a.Position));
        Assert.Equal([7], Anchors.Select(h, alpha: 0.5, cap: 1, skipFirst: 2).Anchors.Select(a => a.Position));
        Assert.Equal(all.Length, Anchors.Select(h, alpha: 0.5, skipFirst: 1).Anchors.Length);
    }

    [Fact]
    public void WordsJoinPiecesThatContinueLettersOrDigits()
    {
        // BOS, "The", " sy", "sop", " said", ",", " 4", "2", " caf", "\u00e9" split over two tokens ("" is its tail).
        string[] pieces = ["", "The", " sy", "sop", " said", ",", " 4", "2", " caf", "\u00e9", ""];
        Assert.Equal([(0, 0), (1, 1), (2, 3), (4, 4), (5, 5), (6, 7), (8, 10)], Anchors.Words(pieces));
    }

    [Fact]
    public void WordEntropyIsTheSumOverTheWordsTokensAndTheAnchorSpansTheWord()
    {
        string[] pieces = ["", "The", " sy", "sop", " said", " it", " was", " up"];
        float[] h = [float.NaN, 1, 2, 2.5f, 1, 1, 1, 1];
        // Words: The 1, sysop 4.5, said 1, it 1, was 1, up 1: mean 1.5833, std 1.3044; alpha 1 -> tau 2.8877.
        var (tau, anchors) = Anchors.SelectWords(h, pieces, alpha: 1.0);
        Assert.Equal(1.5833333 + 1.3043729, tau, 5);
        var anchor = Assert.Single(anchors);
        Assert.Equal((2, 3, 4.5f), (anchor.Start, anchor.Position, anchor.Entropy));
        // Token anchors on the same entropies: the word's two fragments, each judged on its own.
        Assert.Equal([2, 3], Anchors.Select(h, alpha: 1.0).Anchors.Select(a => a.Position));
        // skip-first applies to where the word starts.
        Assert.Empty(Anchors.SelectWords(h, pieces, alpha: 1.0, skipFirst: 3).Anchors);
    }

    [Fact]
    public void QueryWindowIncludesTheAnchorAndWTokensEitherSideClipped()
    {
        Assert.Equal((4, 37), RetrievalStep.QueryWindow(20, 100, 16));
        Assert.Equal((0, 19), RetrievalStep.QueryWindow(2, 100, 16));
        Assert.Equal((82, 100), RetrievalStep.QueryWindow(98, 100, 16));
    }
}
