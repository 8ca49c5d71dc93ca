using EntropyLong.Core;

namespace EntropyLong.Core.Tests;

public class EntropySummaryTests
{
    [Fact]
    public void PoolsMeanAndStdAndCountsWhatTheAnchorRuleMarksDocumentByDocument()
    {
        var summary = new EntropySummary(2.0);
        // Nine 1s and a 10: mean 1.9, std 2.7, tau 7.3: the 10 alone. Then a flat document: std 0, tau 2, nothing above.
        float[] peaked = [float.NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10], flat = [float.NaN, 2, 2, 2];
        summary.Add(peaked);
        summary.Add(flat);
        double[] all = [.. peaked.Skip(1).Concat(flat.Skip(1)).Select(h => (double)h)];
        Assert.Equal((2L, 1L, 13L, 1L), (summary.Documents, summary.DocumentsWithAnchors, summary.Units, summary.Anchors));
        Assert.Equal(all.Average(), summary.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(all.Select(h => (h - all.Average()) * (h - all.Average())).Average()), summary.StdDev, 1e-12);
        Assert.Equal(1.0 / 13, summary.AnchorShare, 1e-12);
    }

    [Fact]
    public void WithPiecesAWordIsOneUnitWithItsTokensEntropiesSummed()
    {
        var summary = new EntropySummary(1.0);
        // BOS (unscored), "ab" in two tokens (1 + 2), " c" (3), " d" (9): units 3, 3, 9.
        summary.Add([float.NaN, 1, 2, 3, 9], ["", "a", "b", " c", " d"]);
        Assert.Equal(3, summary.Units);
        Assert.Equal(5, summary.Mean, 1e-6);
        Assert.Equal(Math.Sqrt(8), summary.StdDev, 1e-6); // tau 7.83: " d" alone
        Assert.Equal(1, summary.Anchors);
    }
}
