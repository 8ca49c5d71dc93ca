using System.Numerics.Tensors;

namespace EntropyLong.Core;

/// <summary>Full-vocabulary predictive entropy, in nats, of one row of logits.</summary>
public static class Entropy
{
    /// <summary>H = log Z - sum p*z, computed max-shifted so no exponent overflows:
    /// with s = z - max z and e = exp(s), H = log(sum e) - (sum e*s) / (sum e).</summary>
    /// <param name="logits">One row of logits (the native buffer, read in place).</param>
    /// <param name="scratch">Two buffers of at least the row's length, reused across calls.</param>
    /// <param name="temperature">The entropy of softmax(z / T); 1, the model's own distribution, is the paper's.</param>
    public static float FromLogits(ReadOnlySpan<float> logits, Span<float> scratch, float temperature = 1) =>
        FromLogits(logits, scratch, temperature, out _);

    /// <summary>As the public overload; afterwards scratch[n..2n] holds exp(z / T - max) and
    /// <paramref name="sum"/> their sum, so callers can read probabilities without a second pass.</summary>
    internal static float FromLogits(ReadOnlySpan<float> logits, Span<float> scratch, float temperature, out double sum)
    {
        if (logits.IsEmpty) throw new ArgumentException("empty logits row", nameof(logits));
        if (scratch.Length < 2 * logits.Length) throw new ArgumentException("scratch must hold two rows", nameof(scratch));
        var shifted = scratch[..logits.Length];
        var exps = scratch.Slice(logits.Length, logits.Length);
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), shifted);
        if (temperature != 1) TensorPrimitives.Multiply(shifted, 1 / temperature, shifted);
        TensorPrimitives.Exp(shifted, exps);
        sum = TensorPrimitives.Sum<float>(exps);
        double dot = TensorPrimitives.Dot<float>(exps, shifted);
        return (float)(Math.Log(sum) - dot / sum);
    }

    /// <summary>Convenience overload that allocates its scratch; use the other one in loops.</summary>
    public static float FromLogits(ReadOnlySpan<float> logits) => FromLogits(logits, new float[2 * logits.Length]);

    /// <summary>The next token's surprisal -log softmax(z)[token] in nats, max-shifted: log(sum exp(z - max)) - (z[token] - max).</summary>
    /// <param name="scratch">One buffer of at least the row's length, reused across calls.</param>
    public static double NegLogLikelihood(ReadOnlySpan<float> logits, int token, Span<float> scratch)
    {
        if ((uint)token >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside a row of {logits.Length} logits");
        if (scratch.Length < logits.Length) throw new ArgumentException("scratch must hold a row", nameof(scratch));
        float max = TensorPrimitives.Max(logits);
        var exps = scratch[..logits.Length];
        TensorPrimitives.Subtract(logits, max, exps);
        TensorPrimitives.Exp(exps, exps);
        return Math.Log(TensorPrimitives.Sum<float>(exps)) - ((double)logits[token] - max);
    }
}
