namespace EntropyLong.Core;

public enum ContextOrder { Shuffle, Anchor }

/// <summary>Every hyperparameter of the method in one record; defaults are the paper's (METHOD.md),
/// or the project's choice where the paper is silent.</summary>
public sealed record EntropyLongOptions
{
    /// <summary>Anchor threshold tau = mean(H) + Alpha * std(H) per document.</summary>
    public double Alpha { get; init; } = 2.0;
    /// <summary>Keep a chunk when (H - H') / H exceeds this.</summary>
    public double Epsilon { get; init; } = 0.4;
    /// <summary>Query window: tokens t-w .. t+w around anchor t.</summary>
    public int Window { get; init; } = 16;
    /// <summary>Candidates retrieved per anchor.</summary>
    public int TopK { get; init; } = 32;
    /// <summary>Optional cap on anchors per document (highest entropy kept); null = no cap, as in the paper.</summary>
    public int? MaxAnchorsPerDocument { get; init; }
    /// <summary>Beyond the paper: no anchors among a document's first N scorer tokens (BOS counted), which are
    /// predicted with little or no context, so their entropy says more about the model than about the document. The
    /// threshold is still taken over every token. 0 = the paper's.</summary>
    public int SkipFirstTokens { get; init; }
    /// <summary>Beyond the paper: anchors are words, each with the sum of its tokens' entropies, judged by the same sum
    /// with and without the chunk (<see cref="Anchors.SelectWords"/>). false = the paper's token anchors.</summary>
    public bool WordEntropy { get; init; }
    /// <summary>Beyond the paper: the scorer's entropies are of its distribution mixed with a copy distribution read off
    /// the sequence (<see cref="CopyMixture"/>), at this weight; 0 = the paper's, the model alone.</summary>
    public double CopyWeight { get; init; }
    /// <summary>Beyond the paper: of each anchor's candidates that pass verification only the best-ranked N by retrieval stay
    /// kept; the others are marked capped (<see cref="PerAnchorCapStep"/>). 0 = no cap, the paper's.</summary>
    public int MaxChunksPerAnchor { get; init; }
    /// <summary>Beyond the paper: a chunk that passes verification stays kept only if it also removes more than this share
    /// of the entropy of the document's tokens outside its anchors (<see cref="DocumentGainStep"/>); null = the paper's.</summary>
    public double? MinDocumentGain { get; init; }
    /// <summary>Target sequence length in tokens of the training model's tokenizer.</summary>
    public int SeqLen { get; init; } = 131072;
    public ContextOrder Order { get; init; } = ContextOrder.Shuffle;
    public ulong Seed { get; init; } = 42;
    /// <summary>Text placed between contexts and before the document.</summary>
    public string Separator { get; init; } = "\n\n";
    /// <summary>Documents with no verified chunk are dropped (and counted) unless this is false.</summary>
    public bool DropUnverified { get; init; } = true;
    /// <summary>Beyond the paper: candidates whose estimated Jaccard similarity with the document (word 5-gram shingles,
    /// MinHash) is at least this are not judged (<see cref="NearDuplicateStep"/>); 0 turns the guard off.</summary>
    public double NearDuplicate { get; init; } = 0.5;
    /// <summary>Beyond the paper (PolicyLong, NExtLong): up to this many chunks per document that were judged and failed
    /// verification are placed among the verified contexts, marked as negatives; 0 = none.</summary>
    public int HardNegatives { get; init; }

    public void Validate()
    {
        if (!(Alpha >= 0 && double.IsFinite(Alpha))) throw new UserInputException($"alpha must be a finite number >= 0 (got {Alpha})");
        if (!(Epsilon is >= 0 and < 1)) throw new UserInputException($"epsilon must be in [0, 1) (got {Epsilon})");
        if (Window < 0) throw new UserInputException($"window must be >= 0 (got {Window})");
        if (TopK < 1) throw new UserInputException($"top-k must be >= 1 (got {TopK})");
        if (MaxAnchorsPerDocument is < 1) throw new UserInputException($"max anchors per document must be >= 1 (got {MaxAnchorsPerDocument})");
        if (SkipFirstTokens < 0) throw new UserInputException($"skip-first must be >= 0 (got {SkipFirstTokens})");
        if (MaxChunksPerAnchor < 0) throw new UserInputException($"max chunks per anchor must be >= 0 (got {MaxChunksPerAnchor})");
        if (MinDocumentGain is { } gain && !(gain is >= 0 and < 1)) throw new UserInputException($"min-document-gain must be in [0, 1) (got {gain})");
        if (!(CopyWeight is >= 0 and < 1)) throw new UserInputException($"copy-weight must be in [0, 1) (got {CopyWeight})");
        if (!(NearDuplicate is >= 0 and <= 1)) throw new UserInputException($"near-duplicate must be in [0, 1] (got {NearDuplicate})");
        if (HardNegatives < 0) throw new UserInputException($"hard-negatives must be >= 0 (got {HardNegatives})");
        if (SeqLen < 16) throw new UserInputException($"seq-len must be >= 16 tokens (got {SeqLen})");
    }
}
