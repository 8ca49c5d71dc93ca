namespace EntropyLong.Core;

/// <summary>Stage 1 for documents longer than the scorer's context (METHOD.md leaves this open; the project's
/// choice): windows of the context length advance by half a window, and each window scores only the positions
/// that keep at least half a window of left context, so every position is scored exactly once.</summary>
public static class SlidingWindow
{
    /// <param name="tokenCount">Document length in tokens.</param>
    /// <param name="window">Document tokens per window (the context length, less one if BOS is prepended).</param>
    /// <returns>Windows as [Start, End) token ranges with the [ScoreFrom, End) positions each one scores.</returns>
    public static IReadOnlyList<(int Start, int End, int ScoreFrom)> Plan(int tokenCount, int window)
    {
        if (window < 2) throw new ArgumentOutOfRangeException(nameof(window), "a window needs at least 2 tokens");
        var result = new List<(int, int, int)>();
        if (tokenCount <= window)
        {
            result.Add((0, tokenCount, 1));
            return result;
        }
        int step = window - window / 2;
        result.Add((0, window, 1));
        for (int scored = window; scored < tokenCount;)
        {
            // Each window scores at most `step` new positions, so the first keeps window/2 tokens of left context.
            int end = Math.Min(tokenCount, scored + step);
            result.Add((end - window, end, scored));
            scored = end;
        }
        return result;
    }
}
