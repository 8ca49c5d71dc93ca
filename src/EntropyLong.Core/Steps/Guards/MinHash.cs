namespace EntropyLong.Core;

/// <summary>MinHash signatures of texts as sets of word 5-gram shingles (<see cref="WordNGrams"/>): the share of equal
/// minima of two signatures estimates the Jaccard similarity of the two sets without comparing them (Broder, 1997).
/// K = 128 hash functions h_i(x) = Mix(x xor s_i) with fixed seeds s_i, so an estimate never depends on the run seed;
/// its standard error is sqrt(J(1 - J) / K), at most 0.044.</summary>
public sealed class MinHash
{
    public const int DefaultFunctions = 128;
    /// <summary>Words per shingle; a text with fewer words is one shingle of all of them.</summary>
    public const int ShingleWords = 5;

    private readonly ulong[] _seeds;

    public MinHash(int functions = DefaultFunctions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(functions, 1);
        _seeds = new ulong[functions];
        for (int i = 0; i < functions; i++) _seeds[i] = StableHash.Mix(0x4d696e48617368UL + (ulong)i);
    }

    /// <summary>The signature of <paramref name="text"/>'s shingles; null for a text without words (similar to nothing).</summary>
    public ulong[]? Signature(string text)
    {
        var words = WordNGrams.Words(text);
        if (words.Length == 0) return null;
        var signature = new ulong[_seeds.Length];
        Array.Fill(signature, ulong.MaxValue);
        foreach (ulong shingle in WordNGrams.Of(words, Math.Min(ShingleWords, words.Length)))
            for (int i = 0; i < signature.Length; i++)
            {
                ulong h = StableHash.Mix(shingle ^ _seeds[i]);
                if (h < signature[i]) signature[i] = h;
            }
        return signature;
    }

    /// <summary>The estimated Jaccard similarity: the share of hash functions whose minima agree (0 when a text has no words).</summary>
    public static double Similarity(ulong[]? a, ulong[]? b)
    {
        if (a is null || b is null) return 0;
        if (a.Length != b.Length) throw new ArgumentException("signatures of different lengths");
        int equal = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] == b[i]) equal++;
        return (double)equal / a.Length;
    }
}
