namespace EntropyLong.Core;

/// <summary>A token whose predictive entropy exceeds the document's adaptive threshold.</summary>
public readonly record struct Anchor(int Position, float Entropy);

public static class Anchors
{
    /// <summary>Stage 2: tau = mean(H) + alpha * std(H) over the document's scored positions (population
    /// std; NaN entries, such as position 0 with nothing before it, are not scored); every position with
    /// H > tau is an anchor, from position <paramref name="skipFirst"/> on. With a cap, the highest-entropy anchors are
    /// kept, returned in position order.</summary>
    public static (double Threshold, Anchor[] Anchors) Select(ReadOnlySpan<float> entropy, double alpha, int? cap = null, int skipFirst = 0)
    {
        double sum = 0, sumSq = 0;
        int n = 0;
        foreach (var h in entropy)
        {
            if (float.IsNaN(h)) continue;
            sum += h; sumSq += (double)h * h; n++;
        }
        if (n == 0) return (double.NaN, []);
        double mean = sum / n;
        double std = Math.Sqrt(Math.Max(0, sumSq / n - mean * mean));
        double tau = mean + alpha * std;
        var found = new List<Anchor>();
        for (int i = skipFirst; i < entropy.Length; i++)
            if (!float.IsNaN(entropy[i]) && entropy[i] > tau) found.Add(new Anchor(i, entropy[i]));
        if (cap is int c && found.Count > c)
            found = found.OrderByDescending(a => a.Entropy).ThenBy(a => a.Position).Take(c).OrderBy(a => a.Position).ToList();
        return (tau, found.ToArray());
    }
}
