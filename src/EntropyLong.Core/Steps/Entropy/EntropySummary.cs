namespace EntropyLong.Core;

/// <summary>The shape of a model's entropies over a corpus, to tell whether the paper's anchor rule suits it: a real
/// model is confident at most tokens and has a right tail of uncertain ones, which tau = mean + alpha * std picks out.
/// Pooled mean, standard deviation and skewness over scored units, the share under 1 nat (confident), the share above
/// the pooled mean + alpha std (the tail), and how many units the rule itself marks, document by document
/// (<see cref="Anchors"/>, no cap), at <see cref="Alpha"/>. Streams: one document at a time; what it keeps is a
/// fixed histogram for the tail, whose threshold is known only at the end.</summary>
public sealed class EntropySummary(double alpha)
{
    public double Alpha { get; } = alpha;
    public long Documents { get; private set; }
    /// <summary>Documents with at least one unit above their threshold.</summary>
    public long DocumentsWithAnchors { get; private set; }
    public long Units { get; private set; }
    public long Anchors { get; private set; }

    /// <summary>Histogram bins per nat: the tail's threshold is rounded down to this resolution.</summary>
    public const int BinsPerNat = 1024;
    private const int Bins = 64 * BinsPerNat; // entropies of 64 nats and more share the last bin

    private double _sum, _sumSq, _sumCube;
    private long _underOneNat;
    private readonly long[] _histogram = new long[Bins];

    public double Mean => Units == 0 ? double.NaN : _sum / Units;
    /// <summary>Population standard deviation, as the anchor rule takes it.</summary>
    public double StdDev => Units == 0 ? double.NaN : Math.Sqrt(Math.Max(0, _sumSq / Units - Mean * Mean));
    /// <summary>Population skewness: negative when the mass sits high with a tail of confident units, positive for a
    /// real model's shape (most units confident, a right tail of uncertain ones).</summary>
    public double Skewness
    {
        get
        {
            double m = Mean, sd = StdDev;
            return sd > 0 ? (_sumCube / Units - 3 * m * _sumSq / Units + 2 * m * m * m) / (sd * sd * sd) : double.NaN;
        }
    }
    public double UnderOneNatShare => Units == 0 ? double.NaN : (double)_underOneNat / Units;
    /// <summary>Share of units at or above the pooled mean + <see cref="Alpha"/> std, that threshold rounded down to
    /// 1/<see cref="BinsPerNat"/> nat (a unit less than that below it counts as above it).</summary>
    public double TailShare
    {
        get
        {
            if (Units == 0) return double.NaN;
            double threshold = Mean + Alpha * StdDev;
            long above = 0;
            for (long bin = Math.Max(0, (long)Math.Floor(threshold * BinsPerNat)); bin < Bins; bin++) above += _histogram[bin];
            return (double)above / Units;
        }
    }
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
        _sumCube += (double)h * h * h;
        if (h < 1) _underOneNat++;
        _histogram[Math.Clamp((int)(h * BinsPerNat), 0, Bins - 1)]++;
        Units++;
    }
}
