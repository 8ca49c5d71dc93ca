namespace EntropyLong.Core;

/// <summary>The word n-grams (13 by default, as GPT-3's decontamination) of evaluation data, as a set of 64-bit hashes
/// (<see cref="WordNGrams"/>): a text is contaminated when it shares one of them. A text of fewer than n words has no
/// n-gram and is never contaminated.</summary>
public sealed class NGramSet(int n = NGramSet.DefaultWords)
{
    public const int DefaultWords = 13;
    private readonly HashSet<ulong> _grams = new();

    public int N { get; } = n >= 1 ? n : throw new ArgumentOutOfRangeException(nameof(n));
    /// <summary>Distinct n-grams held.</summary>
    public int Count => _grams.Count;

    public void Add(string text)
    {
        foreach (ulong g in WordNGrams.Of(WordNGrams.Words(text), N)) _grams.Add(g);
    }

    public bool SharesAny(string text)
    {
        foreach (ulong g in WordNGrams.Of(WordNGrams.Words(text), N))
            if (_grams.Contains(g)) return true;
        return false;
    }
}

/// <summary>Beyond the paper: documents that share an n-gram with evaluation data (<see cref="NGramSet"/>) are dropped
/// before they are scored (skip reason <see cref="Reason"/>).</summary>
public sealed class DecontaminateDocumentsStep(NGramSet evaluationData) : IBuildStep
{
    public const string Reason = "contaminated";

    public string Name => "decontamination";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
            if (evaluationData.SharesAny(d.Source.Text)) d.Skip(Reason);
    }
}

/// <summary>Beyond the paper: retrieved chunks that share an n-gram with evaluation data are excluded before verification
/// (counted as candidates_contaminated), so no evaluation text reaches a sequence as a context. Each chunk is checked
/// once per block.</summary>
public sealed class DecontaminateCandidatesStep(NGramSet evaluationData) : IBuildStep
{
    public const string Reason = "contaminated";

    public string Name => "decontamination";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        var contaminated = new Dictionary<long, bool>();
        foreach (var d in block.Active)
        {
            foreach (var hit in d.Candidates.SelectMany(h => h ?? []))
            {
                if (!contaminated.TryGetValue(hit.Key, out bool shares)) contaminated[hit.Key] = shares = evaluationData.SharesAny(hit.Text);
                if (shares) d.Excluded.TryAdd(hit.Key, Reason);
            }
            block.Stats.CandidatesContaminated += d.CandidatesExcluded(Reason);
        }
    }
}
