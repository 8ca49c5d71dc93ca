namespace EntropyLong.Eval.Ruler;

/// <summary>The reference scoring (scripts/eval/evaluate.py and scripts/eval/synthetic/constants.py).</summary>
public static class RulerScoring
{
    /// <summary>strip, every control character U+0000..U+001F to a newline, strip again.</summary>
    public static string Postprocess(string pred)
    {
        string s = PyCompat.Strip(pred);
        if (s.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0)
        {
            s = string.Create(s.Length, s, static (span, src) =>
            {
                for (int i = 0; i < span.Length; i++) span[i] = src[i] <= '\x1f' ? '\n' : src[i];
            });
        }
        return PyCompat.Strip(s);
    }

    /// <summary>Per sample the fraction of references found (case-insensitive substring) in the prediction;
    /// mean over samples x 100, rounded to 2 decimals.</summary>
    public static double StringMatchAll(IReadOnlyList<string> preds, IReadOnlyList<IReadOnlyList<string>> refs) =>
        Mean(preds, refs, (pred, r) => PyCompat.Sum(r.Select(x => Found(x, pred) ? 1.0 : 0.0)) / r.Count);

    /// <summary>Per sample 1 if any reference is found in the prediction; mean x 100, rounded to 2 decimals.</summary>
    public static double StringMatchPart(IReadOnlyList<string> preds, IReadOnlyList<IReadOnlyList<string>> refs) =>
        Mean(preds, refs, (pred, r) => r.Any(x => Found(x, pred)) ? 1.0 : 0.0);

    public static double Score(RulerMetric metric, IReadOnlyList<string> preds, IReadOnlyList<IReadOnlyList<string>> refs) =>
        metric == RulerMetric.StringMatchAll ? StringMatchAll(preds, refs) : StringMatchPart(preds, refs);

    private static bool Found(string reference, string pred) =>
        PyCompat.Lower(pred).Contains(PyCompat.Lower(reference), StringComparison.Ordinal);

    private static double Mean(IReadOnlyList<string> preds, IReadOnlyList<IReadOnlyList<string>> refs, Func<string, IReadOnlyList<string>, double> perSample)
    {
        if (preds.Count != refs.Count) throw new ArgumentException("predictions and references differ in count");
        if (preds.Count == 0) throw new ArgumentException("no predictions to score");
        double total = PyCompat.Sum(preds.Select((p, i) =>
            refs[i].Count == 0 ? throw new ArgumentException($"sample {i} has no reference") : perSample(p, refs[i])));
        return PyCompat.Round(total / preds.Count * 100, 2);
    }
}
