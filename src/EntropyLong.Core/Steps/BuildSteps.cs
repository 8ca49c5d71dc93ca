namespace EntropyLong.Core;

/// <summary>Where a build's steps are composed: one list per method. A new method or filter is a new step added here.</summary>
public static class BuildSteps
{
    /// <summary>The paper's method: entropy, anchors, retrieval, verification, assembly.</summary>
    public static IReadOnlyList<IBuildStep> EntropyLong(IEntropyModel scorer, IRetriever retriever, ITrainingTokenizer tokenizer,
        EntropyLongOptions options, bool naive = false) =>
    [
        new EntropyStep(scorer),
        new AnchorStep(options),
        new RetrievalStep(retriever, scorer, options),
        new VerificationStep(scorer, options, naive),
        new AssemblyStep(scorer, tokenizer, options),
    ];
}
