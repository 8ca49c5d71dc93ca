namespace EntropyLong.Core;

/// <summary>Beyond the paper: the model's next-token distribution mixed with a copy distribution read off the
/// sequence so far, p = (1 - w) softmax(z / T) + w c, a cache LM (Kuhn and De Mori 1990; Grave et al. 2017) standing
/// in for the induction heads a small scorer lacks. For the token at position t, every earlier position j whose
/// preceding tokens match those before t votes for x_j with weight 2^(m - 1), m the match length (at most
/// <see cref="MaxMatch"/>); c is the normalised vote. As an induction head grows surer the longer the match it
/// continues, the mixing weight is w = 1 - (1 - W)^M, W the <see cref="Weight"/> and M the longest match.
/// Where nothing earlier matches, p is the model's own.
/// A chunk placed before a document then lowers the entropy of the document's tokens that the chunk lets it copy,
/// which is the dependency verification looks for. One instance per thread: it reuses its vote table.</summary>
public sealed class CopyMixture
{
    public const int MaxMatch = 8;

    private readonly Dictionary<int, double> _votes = [];

    public CopyMixture(float weight)
    {
        if (!(weight > 0 && weight < 1)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "the copy weight must lie in (0, 1)");
        Weight = weight;
    }

    public float Weight { get; }

    /// <summary>Entropy, in nats, of the mixture for the token that follows <paramref name="history"/>
    /// (x_0..x_{t-1}; <paramref name="logits"/> are the model's for x_t).</summary>
    /// <param name="scratch">Two buffers of at least the row's length, reused across calls.</param>
    public float Entropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, Span<float> scratch, float temperature = 1)
    {
        float modelEntropy = Core.Entropy.FromLogits(logits, scratch, temperature, out double sum);
        var (total, longest) = Vote(history);
        if (total == 0) return modelEntropy;

        // Sum over the vocabulary of f((1 - w) q) with f(x) = -x ln x is (1 - w)(H(q) - ln(1 - w)); the tokens with
        // votes then trade their share of that sum for f of their mixed probability.
        var exps = scratch.Slice(logits.Length, logits.Length);
        double keep = Math.Pow(1 - Weight, longest), copy = 1 - keep;
        double entropy = keep * (modelEntropy - Math.Log(keep));
        foreach (var (token, votes) in _votes)
        {
            double scaled = keep * exps[token] / sum;
            entropy += XLogX(scaled) - XLogX(scaled + copy * votes / total);
        }
        return (float)entropy;
    }

    private (double Total, int Longest) Vote(ReadOnlySpan<int> history)
    {
        _votes.Clear();
        int t = history.Length, longest = 0;
        double total = 0;
        for (int j = 1; j < t; j++)
        {
            int m = 0;
            while (m < MaxMatch && m < j && history[j - 1 - m] == history[t - 1 - m]) m++;
            if (m == 0) continue;
            longest = Math.Max(longest, m);
            double weight = 1 << (m - 1);
            _votes[history[j]] = _votes.GetValueOrDefault(history[j]) + weight;
            total += weight;
        }
        return (total, longest);
    }

    private static double XLogX(double x) => x > 0 ? x * Math.Log(x) : 0;
}
