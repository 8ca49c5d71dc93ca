namespace EntropyLong.Core.Tests;

public class EntropyTests
{
    [Fact]
    public void UniformLogitsGiveLogOfTheVocabularySize()
    {
        foreach (int n in new[] { 1, 2, 7, 1000, 131072 })
            Assert.Equal(Math.Log(n), Entropy.FromLogits(new float[n]), 4);
    }

    [Fact]
    public void TwoOutcomesMatchTheHandComputedValue()
    {
        // p = softmax([ln 3, 0]) = [3/4, 1/4]; H = -(3/4 ln 3/4 + 1/4 ln 1/4).
        double expected = -(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25));
        Assert.Equal(expected, Entropy.FromLogits([MathF.Log(3), 0f]), 6);
    }

    [Fact]
    public void HugeLogitsDoNotOverflow()
    {
        Assert.Equal(Math.Log(2), Entropy.FromLogits([1e30f, 1e30f, -1e30f]), 5);
        Assert.Equal(0, Entropy.FromLogits([5000f, -5000f, 0f]), 6);
    }

    [Fact]
    public void MatchesAFloat64ComputationOnRandomRows()
    {
        var rng = new Random(3);
        var scratch = new float[2 * 5000];
        for (int trial = 0; trial < 20; trial++)
        {
            var row = Enumerable.Range(0, 5000).Select(_ => (float)(rng.NextDouble() * 30 - 15)).ToArray();
            double max = row.Max(), z = row.Sum(x => Math.Exp(x - max));
            double expected = -row.Sum(x => Math.Exp(x - max) / z * ((x - max) - Math.Log(z)));
            Assert.Equal(expected, Entropy.FromLogits(row, scratch), 4);
        }
    }

    [Fact]
    public void TemperatureTakesTheEntropyOfTheScaledLogits()
    {
        var rng = new Random(5);
        var scratch = new float[2 * 3000];
        foreach (float t in new[] { 0.25f, 0.5f, 2f })
        {
            var row = Enumerable.Range(0, 3000).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
            double max = row.Max() / t, z = row.Sum(x => Math.Exp(x / t - max));
            double expected = -row.Sum(x => Math.Exp(x / t - max) / z * ((x / t - max) - Math.Log(z)));
            Assert.Equal(expected, Entropy.FromLogits(row, scratch, t), 4);
        }
        // Two outcomes 3:1 at T = 0.5 are 9:1.
        Assert.Equal(-(0.9 * Math.Log(0.9) + 0.1 * Math.Log(0.1)), Entropy.FromLogits([MathF.Log(3), 0f], new float[4], 0.5f), 6);
    }
}
