namespace EntropyLong.Core.Tests;

public class SlidingWindowTests
{
    [Theory]
    [InlineData(10, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 16)]
    [InlineData(100, 16)]
    [InlineData(1000, 33)]
    public void EveryPositionIsScoredOnceWithHalfAWindowOfContext(int tokens, int window)
    {
        var plan = SlidingWindow.Plan(tokens, window);
        var scored = new List<int>();
        foreach (var (start, end, from) in plan)
        {
            Assert.True(end - start <= window);
            Assert.True(start >= 0 && end <= tokens);
            for (int p = from; p < end; p++)
            {
                scored.Add(p);
                // Full left context inside the first window, at least half a window after it.
                Assert.True(start == 0 || p - start >= window / 2, $"position {p} keeps only {p - start} tokens");
            }
        }
        Assert.Equal(Enumerable.Range(1, tokens - 1), scored);
    }
}
