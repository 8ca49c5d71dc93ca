namespace EntropyLong.Core;

/// <summary>The shape of a model's entropies over a corpus, to tell whether the paper's anchor rule suits it: a real
/// model is confident at most tokens and has a right tail of uncertain ones, which tau = mean + alpha * std picks out.
/// Pooled mean and standard deviation over scored units, and how many units the rule itself marks, document by
/// document (<see cref="Anchors"/>, no cap), at <see cref="Alpha"/>. Streams: one document at a time, nothing kept.</summary>
public sealed class EntropySummary(double alpha)
{
    public double Alpha { get; } = alpha;
    public long Documents { get; private set; }
    /// <summary>Documents with at least one unit above their threshold.</summary>
    public long DocumentsWithAnchors { get; private set; }
    public long Units { get; private set; }
    public long Anchors { get; private set; }

    private double _sum, _sumSq;

    public double Mean => Units == 0 ? double.NaN : _sum / Units;
    /// <summary>Population standard deviation, as the anchor rule takes it.</summary>
    public double StdDev => Units == 0 ? double.NaN : Math.Sqrt(Math.Max(0, _sumSq / Units - Mean * Mean));
    public double AnchorShare => Units == 0 ? double.NaN : (double)Anchors / Units;

    /// <summary>Adds one document's units: tokens, or with <paramref name="pieces"/> words (<see cref="Core.Anchors.WordUnits"/>).
    /// NaN entries are not scored.</summary>
    public void Add(ReadOnlySpan<float> entropy, IReadOnlyList<string>? pieces = null)
    {
        IReadOnlyList<Anchor> units = pieces is null ? Core.Anchors.TokenUnits(entropy) : Core.Anchors.WordUnits(entropy, pieces);
        var (_, anchors) = Core.Anchors.SelectUnits(units, Alpha);
        foreach (var unit in units) Count(unit.Entropy);
        Documents++;
        Anchors += anchors.Length;
        if (anchors.Length > 0) DocumentsWithAnchors++;
    }

    private void Count(float h)
    {
        if (float.IsNaN(h)) return;
        _sum += h;
        _sumSq += (double)h * h;
        Units++;
    }
}
