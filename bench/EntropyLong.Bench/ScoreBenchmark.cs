using System.Diagnostics;
using EntropyLong.Core;
using EntropyLong.Llm;

namespace EntropyLong.Bench;

/// <summary>Seconds for raw llama.cpp decoding of some batches and for the same batches with what is measured on top.</summary>
public sealed record DecodeComparison(double RawSeconds, double MeasuredSeconds);

public static class ScoreBenchmark
{
    /// <summary>The engine's raw decode of <paramref name="groups"/> (the same llama_decode calls, logits where asked, no
    /// entropy) against <paramref name="measured"/> over the same groups, alternating round by round so load from other
    /// processes hits both alike, after one warm-up of each.</summary>
    public static DecodeComparison Compare(LlamaEngine engine, IReadOnlyList<ScoreGroup> groups, int rounds, Action measured,
        CancellationToken cancellationToken = default)
    {
        engine.DecodeOnly(groups.Take(2).ToList(), cancellationToken);
        measured();
        double raw = 0, timed = 0;
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            engine.DecodeOnly(groups, cancellationToken);
            raw += clock.Elapsed.TotalSeconds;
            clock.Restart();
            measured();
            timed += clock.Elapsed.TotalSeconds;
        }
        return new DecodeComparison(raw, timed);
    }
}
