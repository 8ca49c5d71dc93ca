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

    [Fact]
    public void GivesSkewnessTheConfidentShareAndThePooledTailAsABruteForceCountDoes()
    {
        var summary = new EntropySummary(2.0);
        // A real model's shape: mostly confident, a right tail; values picked so none lies within 1/1024 nat of the
        // pooled threshold, where the histogram rounds.
        var random = new Random(7);
        float[][] documents = [.. Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, 50)
            .Select(_ => (float)(random.NextDouble() < 0.9 ? random.NextDouble() * 1.5 : 3 + random.NextDouble() * 6)).ToArray())];
        foreach (var d in documents) summary.Add(d);
        double[] all = [.. documents.SelectMany(d => d).Select(h => (double)h)];
        double mean = all.Average(), sd = Math.Sqrt(all.Select(h => (h - mean) * (h - mean)).Average()), tau = mean + 2 * sd;
        Assert.DoesNotContain(all, h => Math.Abs(h - tau) < 1.0 / EntropySummary.BinsPerNat);
        Assert.Equal(all.Select(h => Math.Pow((h - mean) / sd, 3)).Average(), summary.Skewness, 1e-9);
        Assert.True(summary.Skewness > 1);
        Assert.Equal(all.Count(h => h < 1) / (double)all.Length, summary.UnderOneNatShare, 1e-12);
        Assert.Equal(all.Count(h => h >= tau) / (double)all.Length, summary.TailShare, 1e-12);
        Assert.InRange(summary.TailShare, 0.01, 0.2);
    }

    [Fact]
    public void AShapeWithoutARightTailHasNegativeSkewAndNothingAboveTheTailThreshold()
    {
        var summary = new EntropySummary(2.0);
        // Most units near the top and a few confident ones, as the small models here score: mean + 2 std lies above
        // the largest value.
        summary.Add([.. Enumerable.Repeat(5f, 90), .. Enumerable.Repeat(0.5f, 10)]);
        Assert.True(summary.Skewness < -2);
        Assert.Equal(0.10, summary.UnderOneNatShare, 1e-12);
        Assert.Equal(0, summary.TailShare);
    }
}
