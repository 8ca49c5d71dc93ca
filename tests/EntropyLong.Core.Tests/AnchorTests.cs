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
    public void QueryWindowIncludesTheAnchorAndWTokensEitherSideClipped()
    {
        Assert.Equal((4, 37), RetrievalStep.QueryWindow(20, 100, 16));
        Assert.Equal((0, 19), RetrievalStep.QueryWindow(2, 100, 16));
        Assert.Equal((82, 100), RetrievalStep.QueryWindow(98, 100, 16));
    }
}
