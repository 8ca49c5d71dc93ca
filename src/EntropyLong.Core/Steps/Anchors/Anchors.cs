namespace EntropyLong.Core;

/// <summary>A token, or with word entropy a word (tokens <see cref="Start"/>..<see cref="Position"/>), whose predictive
/// entropy exceeds the document's adaptive threshold. Verification judges the entropy at every token of the span and
/// compares the sums, so <see cref="Position"/>, the last token, is where a judging pass must reach.</summary>
public readonly record struct Anchor(int Position, float Entropy)
{
    public int Start { get; init; } = Position;
}

public static class Anchors
{
    /// <summary>Stage 2: tau = mean(H) + alpha * std(H) over the document's scored positions (population
    /// std; NaN entries, such as position 0 with nothing before it, are not scored); every position with
    /// H > tau is an anchor, from position <paramref name="skipFirst"/> on. With a cap, the highest-entropy anchors are
    /// kept, returned in position order.</summary>
    public static (double Threshold, Anchor[] Anchors) Select(ReadOnlySpan<float> entropy, double alpha, int? cap = null, int skipFirst = 0) =>
        SelectUnits(TokenUnits(entropy), alpha, cap, skipFirst);

    /// <summary>Beyond the paper: the same rule over words instead of tokens. A word is a maximal run of tokens whose
    /// pieces join letters or digits (a piece that starts a word begins with anything else, such as a space); its
    /// entropy is the sum over its tokens, so a rare word split into fragments counts once, with all of its
    /// uncertainty, and the fragments after its first token cannot be anchors of their own.</summary>
    public static (double Threshold, Anchor[] Anchors) SelectWords(ReadOnlySpan<float> entropy, IReadOnlyList<string> pieces, double alpha,
        int? cap = null, int skipFirst = 0) =>
        SelectUnits(WordUnits(entropy, pieces), alpha, cap, skipFirst);

    /// <summary>Every token as a unit the rule can mark (NaN where nothing predicts it).</summary>
    public static Anchor[] TokenUnits(ReadOnlySpan<float> entropy)
    {
        var all = new Anchor[entropy.Length];
        for (int i = 0; i < entropy.Length; i++) all[i] = new Anchor(i, entropy[i]);
        return all;
    }

    /// <summary>Every word (see <see cref="SelectWords"/>) as a unit, its entropy the sum over its tokens (NaN when a
    /// token of it is not scored).</summary>
    public static List<Anchor> WordUnits(ReadOnlySpan<float> entropy, IReadOnlyList<string> pieces)
    {
        var words = new List<Anchor>();
        foreach (var (start, end) in Words(pieces))
        {
            double sum = 0;
            bool scored = true;
            for (int i = start; i <= end; i++)
            {
                if (float.IsNaN(entropy[i])) scored = false;
                sum += entropy[i];
            }
            words.Add(new Anchor(end, scored ? (float)sum : float.NaN) { Start = start });
        }
        return words;
    }

    /// <summary>Token spans (first, last) of the words of a document's pieces (see <see cref="SelectWords"/>). An empty
    /// piece, the tail of a character split across tokens, stays with the token before it.</summary>
    public static List<(int Start, int End)> Words(IReadOnlyList<string> pieces)
    {
        var words = new List<(int, int)>();
        int start = 0;
        for (int i = 1; i <= pieces.Count; i++)
        {
            if (i < pieces.Count && (pieces[i].Length == 0 || (char.IsLetterOrDigit(pieces[i][0]) && LastChar(pieces, i - 1) is char c && char.IsLetterOrDigit(c))))
                continue;
            if (start < pieces.Count) words.Add((start, i - 1));
            start = i;
        }
        return words;
    }

    private static char? LastChar(IReadOnlyList<string> pieces, int i)
    {
        for (; i >= 0; i--)
            if (pieces[i].Length > 0) return pieces[i][^1];
        return null;
    }

    /// <summary>The rule over <paramref name="units"/> (<see cref="TokenUnits"/> or <see cref="WordUnits"/>): tau and the
    /// units above it, as <see cref="Select"/> says.</summary>
    public static (double Threshold, Anchor[] Anchors) SelectUnits(IReadOnlyList<Anchor> units, double alpha, int? cap = null, int skipFirst = 0)
    {
        double sum = 0, sumSq = 0;
        int n = 0;
        foreach (var u in units)
        {
            if (float.IsNaN(u.Entropy)) continue;
            sum += u.Entropy; sumSq += (double)u.Entropy * u.Entropy; n++;
        }
        if (n == 0) return (double.NaN, []);
        double mean = sum / n;
        double std = Math.Sqrt(Math.Max(0, sumSq / n - mean * mean));
        double tau = mean + alpha * std;
        var found = new List<Anchor>();
        foreach (var u in units)
            if (u.Start >= skipFirst && !float.IsNaN(u.Entropy) && u.Entropy > tau) found.Add(u);
        if (cap is int c && found.Count > c)
            found = found.OrderByDescending(a => a.Entropy).ThenBy(a => a.Position).Take(c).OrderBy(a => a.Position).ToList();
        return (tau, found.ToArray());
    }
}
