using EntropyLong.Core;
using EntropyLong.Llm;

namespace EntropyLong.Bench;

/// <summary>The verification stage against raw llama.cpp decoding of the very batches it plans, in LM tokens per second.</summary>
/// <param name="ForwardTokens">LM tokens one run decodes (the plan's forward tokens).</param>
public sealed record VerifyTiming(long ForwardTokens, int Rounds, long PairsJudged, double RawSeconds, double VerifySeconds)
{
    public double RawTokensPerSecond => ForwardTokens * Rounds / RawSeconds;
    public double VerifyTokensPerSecond => ForwardTokens * Rounds / VerifySeconds;
    public double Ratio => VerifyTokensPerSecond / RawTokensPerSecond;
}

public static class VerifyBenchmark
{
    /// <summary>Times, alternating round by round (<see cref="ScoreBenchmark.Compare"/>), raw decode of the plan's groups
    /// (logits where the plan asks for them, no entropy) against the whole stage on a block of
    /// <paramref name="documents"/> that went through stages 1-3: planning, the scorer's batches and entropies, and
    /// the decisions. The stage runs on a fresh <see cref="BuildBlock"/> each round, so it only rewrites the verdicts.</summary>
    public static VerifyTiming Compare(LlamaEngine engine, VerificationStep verification, IReadOnlyList<BuildDocument> documents, int rounds,
        CancellationToken cancellationToken = default)
    {
        var plan = verification.Plan(documents);
        if (plan.ForwardTokens == 0)
            throw new UserInputException($"{(documents.Count == 1 ? "the timed document has" : $"the {documents.Count} timed documents have")} nothing to verify at these settings (no anchor retrieved a chunk); time more documents (--block, --docs) or lower --alpha");
        var timing = ScoreBenchmark.Compare(engine, plan.Groups, rounds,
            () => verification.Run(new BuildBlock(documents, new BuildStats()), cancellationToken), cancellationToken);
        return new VerifyTiming(plan.ForwardTokens, rounds, plan.PairsJudged, timing.RawSeconds, timing.MeasuredSeconds);
    }
}
