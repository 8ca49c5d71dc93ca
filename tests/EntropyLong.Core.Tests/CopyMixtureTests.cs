namespace EntropyLong.Core.Tests;

public class CopyMixtureTests
{
    private static double H(params double[] p) => -p.Where(x => x > 0).Sum(x => x * Math.Log(x));

    private static float Score(float weight, float[] logits, int[] history) =>
        new CopyMixture(weight).Entropy(logits, history, new float[2 * logits.Length]);

    [Fact]
    public void WithoutAnEarlierMatchItIsTheModelsEntropy()
    {
        float[] logits = [1f, 2f, 0.5f, -1f, 3f];
        Assert.Equal(Entropy.FromLogits(logits), Score(0.5f, logits, [0, 1, 2, 3]), 6);
        Assert.Equal(Entropy.FromLogits(logits), Score(0.5f, logits, [4]), 6);
    }

    [Fact]
    public void OneMatchMixesTheCopiedTokenAtTheGivenWeight()
    {
        // After [1 2 3 1] the earlier 1 was followed by 2 (a match of length 1): p = 0.5 * uniform(4) + 0.5 * [token 2].
        Assert.Equal(H(0.125, 0.125, 0.625, 0.125), Score(0.5f, new float[4], [1, 2, 3, 1]), 6);
    }

    [Fact]
    public void LongerMatchesWeighMoreAndRaiseTheMixingWeight()
    {
        // After [1 2 7 1 3 7 1]: j=1 continues "1" (match 1, votes 1 for token 2); j=4 continues "7 1" (match 2,
        // votes 2 for token 3). Longest match 2, so w = 1 - 0.5^2 = 0.75 and c = {2: 1/3, 3: 2/3}.
        double q = 0.25 / 8;
        var p = Enumerable.Repeat(q, 8).ToArray();
        p[2] += 0.75 / 3;
        p[3] += 0.75 * 2 / 3;
        Assert.Equal(H(p), Score(0.5f, new float[8], [1, 2, 7, 1, 3, 7, 1]), 6);
    }

    [Fact]
    public void MatchesAFloat64MixtureOnRandomRows()
    {
        var rng = new Random(11);
        const int vocab = 300;
        for (int trial = 0; trial < 20; trial++)
        {
            var logits = Enumerable.Range(0, vocab).Select(_ => (float)(rng.NextDouble() * 12 - 6)).ToArray();
            var history = Enumerable.Range(0, 200).Select(_ => rng.Next(6)).ToArray(); // few symbols: long matches
            double max = logits.Max(), z = logits.Sum(x => Math.Exp(x - max));
            var p = logits.Select(x => Math.Exp(x - max) / z).ToArray();
            var votes = new double[vocab];
            int t = history.Length, longest = 0;
            for (int j = 1; j < t; j++)
            {
                int m = 0;
                while (m < CopyMixture.MaxMatch && m < j && history[j - 1 - m] == history[t - 1 - m]) m++;
                if (m > 0) { votes[history[j]] += Math.Pow(2, m - 1); longest = Math.Max(longest, m); }
            }
            double w = 1 - Math.Pow(1 - 0.3, longest), total = votes.Sum();
            var mixed = p.Select((x, i) => (1 - w) * x + w * votes[i] / total).ToArray();
            Assert.Equal(H(mixed), Score(0.3f, logits, history), 4);
        }
    }

    [Fact]
    public void ACopiedContinuationLowersTheEntropy()
    {
        var rng = new Random(2);
        var logits = Enumerable.Range(0, 1000).Select(_ => (float)rng.NextDouble()).ToArray();
        int[] seen = [9, 40, 41, 42, 43, 7, 9, 40, 41, 42];
        Assert.True(Score(0.5f, logits, seen) < 0.2 * Entropy.FromLogits(logits));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    public void WeightsOutsideTheOpenUnitIntervalAreRefused(float weight) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyMixture(weight));
}
