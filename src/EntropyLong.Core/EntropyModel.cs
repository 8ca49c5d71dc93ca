namespace EntropyLong.Core;

/// <summary>What a scoring model reports about itself.</summary>
public sealed record ModelInfo(string Name, string Architecture, int VocabSize, int ContextLength, int? BosToken, bool AddsBos, long Parameters);

/// <summary>One sequence to score: <see cref="Tokens"/> follow the group's prefix. <see cref="Positions"/> index the
/// whole sequence (prefix then tokens); the entropy at position p is that of the distribution predicting token p,
/// read from the logits after token p-1, so every position is at least 1.</summary>
public sealed record ScoreSequence(ReadOnlyMemory<int> Tokens, int[] Positions);

/// <summary>Sequences that share a prefix: an engine may decode the prefix once and reuse its KV cache.</summary>
public sealed record ScoreGroup(ReadOnlyMemory<int> Prefix, IReadOnlyList<ScoreSequence> Sequences);

/// <summary>The seam to a causal LM (llama.cpp in production, a managed reference in tests).
/// Tokens are scored exactly as given: callers add BOS themselves (see <see cref="ModelInfo.AddsBos"/>).</summary>
public interface IEntropyModel : IDisposable
{
    ModelInfo Info { get; }
    int[] Tokenize(string text);
    string Detokenize(ReadOnlySpan<int> tokens);

    /// <summary>The UTF-8 bytes a token stands for (a piece may end inside a character; BOS gives none).</summary>
    byte[] TokenBytes(int token);

    /// <summary>Entropies at the requested positions, one array per sequence, groups and sequences in order.
    /// Every sequence (prefix included) must fit <see cref="ModelInfo.ContextLength"/>. <paramref name="groupsDone"/>
    /// hears how many groups are finished as they finish (for progress; it must not change what is computed).</summary>
    float[][] Score(IReadOnlyList<ScoreGroup> groups, CancellationToken cancellationToken = default, Action<int>? groupsDone = null);
}

public static class EntropyModelExtensions
{
    /// <summary>BOS (when the model wants one) followed by the text's tokens.</summary>
    public static int[] TokenizeWithBos(this IEntropyModel model, string text)
    {
        var tokens = model.Tokenize(text);
        if (!model.Info.AddsBos || model.Info.BosToken is not int bos) return tokens;
        var result = new int[tokens.Length + 1];
        result[0] = bos;
        tokens.CopyTo(result, 1);
        return result;
    }

    /// <summary>Counts the tokens model.Score will spend on the groups (prefixes once, sequences each).</summary>
    public static long ForwardTokens(this IReadOnlyList<ScoreGroup> groups)
    {
        long total = 0;
        foreach (var g in groups)
        {
            total += g.Prefix.Length;
            foreach (var s in g.Sequences) total += s.Tokens.Length;
        }
        return total;
    }
}
