namespace EntropyLong.Core;

/// <summary>Where a build's steps are composed: one list per method. A new method or filter is a new step added here.</summary>
public static class BuildSteps
{
    /// <summary>The paper's method: entropy, anchors, retrieval, verification, assembly; with this project's guards
    /// around it: a document whose id came before is ruled out (<see cref="DuplicateIdStep"/>), decontamination against <paramref name="evaluationData"/> when given (documents before scoring,
    /// retrieved chunks before verification), the near-duplicate guard unless options turn it off, and, when options
    /// set them, the document-gain filter and then the per-anchor cap on kept chunks.</summary>
    public static IReadOnlyList<IBuildStep> EntropyLong(IEntropyModel scorer, IRetriever retriever, ITrainingTokenizer tokenizer,
        EntropyLongOptions options, bool naive = false, NGramSet? evaluationData = null)
    {
        var steps = AnchoredCandidates(scorer, retriever, tokenizer, options, evaluationData);
        steps.Add(new VerificationStep(scorer, options, naive));
        if (options.MinDocumentGain is not null) steps.Add(new DocumentGainStep(scorer, options));
        if (options.MaxChunksPerAnchor is > 0 and var cap) steps.Add(new PerAnchorCapStep(cap));
        steps.Add(new AssemblyStep(scorer, tokenizer, options));
        return steps;
    }

    /// <summary>The `retrieval` baseline (the paper's "without verification"): the method's anchors and retrieval, the
    /// top retrieved chunks placed unjudged, as many per document as <paramref name="matched"/> says.</summary>
    public static IReadOnlyList<IBuildStep> Retrieval(IEntropyModel scorer, IRetriever retriever, ITrainingTokenizer tokenizer,
        EntropyLongOptions options, IReadOnlyDictionary<string, int>? matched, NGramSet? evaluationData = null)
    {
        var steps = AnchoredCandidates(scorer, retriever, tokenizer, options, evaluationData);
        steps.Add(new RetrievedAssemblyStep(scorer, tokenizer, options, matched));
        return steps;
    }

    // What the method and its "without verification" ablation share: the documents that fit the target length, scored,
    // their anchors and each anchor's guarded candidates.
    private static List<IBuildStep> AnchoredCandidates(IEntropyModel scorer, IRetriever retriever, ITrainingTokenizer tokenizer, EntropyLongOptions options,
        NGramSet? evaluationData)
    {
        var steps = new List<IBuildStep>(FirstSteps(evaluationData))
        {
            new DocumentLengthStep(tokenizer, options), new EntropyStep(scorer), new AnchorStep(options), new RetrievalStep(retriever, scorer, options),
            new RepeatedTextStep(),
        };
        if (evaluationData is not null) steps.Add(new DecontaminateCandidatesStep(evaluationData));
        if (options.NearDuplicate > 0) steps.Add(new NearDuplicateStep(options.NearDuplicate));
        return steps;
    }

    /// <summary>The `random` baseline: documents concatenated in a seeded random order, one attention span per sequence.</summary>
    public static IReadOnlyList<IBuildStep> Random(ITrainingTokenizer tokenizer, EntropyLongOptions options, long? tokenBudget = null, NGramSet? evaluationData = null) =>
        [.. FirstSteps(evaluationData), new ConcatenationStep(tokenizer, options, tokenBudget)];

    /// <summary>The `nextlong` baseline: each document's meta-chunks interleaved with hard-negative distractors, none of
    /// which shares an n-gram with <paramref name="evaluationData"/> when given.</summary>
    public static IReadOnlyList<IBuildStep> NextLong(IRetriever retriever, ITrainingTokenizer tokenizer, EntropyLongOptions options,
        IReadOnlyDictionary<string, int>? matched, NGramSet? evaluationData = null) =>
        [.. FirstSteps(evaluationData), new NextLongStep(retriever, tokenizer, options, matched,
            evaluationData is null ? null : chunk => evaluationData.SharesAny(chunk.Text))];

    // The first steps of every method: a repeated id is ruled out, and, when evaluation data is given, contaminated
    // documents are dropped before anything else.
    private static IEnumerable<IBuildStep> FirstSteps(NGramSet? evaluationData) =>
        evaluationData is null ? [new DuplicateIdStep()] : [new DuplicateIdStep(), new DecontaminateDocumentsStep(evaluationData)];
}
