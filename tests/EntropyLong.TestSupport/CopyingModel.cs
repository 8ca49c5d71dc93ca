using System.Text;
using EntropyLong.Core;

namespace EntropyLong.TestSupport;

/// <summary>A managed stand-in for a causal LM whose entropies are deterministic on every machine (integer hashing, no
/// native math), so whole-pipeline outputs can be pinned byte for byte. Tokens are UTF-8 bytes (+1; 0 is BOS). It reads
/// its context the way an induction head does: a token whose two predecessors appeared together earlier in the sequence
/// is predicted confidently, so a chunk that repeats the document's words lowers the entropy there.</summary>
public sealed class CopyingModel(int contextLength = 512) : IEntropyModel, ITrainingTokenizer
{
    public ModelInfo Info { get; } = new("copying-test-model", "test", 257, contextLength, 0, true, 0);

    public int[] Tokenize(string text) => Encoding.UTF8.GetBytes(text).Select(b => b + 1).ToArray();

    public string Detokenize(ReadOnlySpan<int> tokens)
    {
        var bytes = new List<byte>(tokens.Length);
        foreach (int t in tokens) if (t > 0) bytes.Add((byte)(t - 1));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public byte[] TokenBytes(int token) => token > 0 ? [(byte)(token - 1)] : [];

    public int[] Encode(string text) => this.TokenizeWithBos(text);

    public int ByteCount(int token) => token > 0 ? 1 : 0;

    public float[][] Score(IReadOnlyList<ScoreGroup> groups, CancellationToken cancellationToken = default, Action<int>? groupsDone = null)
    {
        var results = new List<float[]>();
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (var s in groups[g].Sequences)
            {
                int[] full = [.. groups[g].Prefix.Span, .. s.Tokens.Span];
                if (full.Length > Info.ContextLength) throw new ArgumentException($"sequence of {full.Length} tokens exceeds the context");
                results.Add(Entropies(full, s.Positions));
            }
            groupsDone?.Invoke(g + 1);
        }
        return results.ToArray();
    }

    private static float[] Entropies(int[] tokens, int[] positions)
    {
        var wanted = positions.ToHashSet();
        var byPosition = new Dictionary<int, float>();
        var seen = new HashSet<(int, int)>();
        for (int p = 1; p < tokens.Length; p++)
        {
            if (wanted.Contains(p))
            {
                int before = p >= 2 ? tokens[p - 2] : -1;
                bool copied = p >= 2 && seen.Contains((before, tokens[p - 1]));
                byPosition[p] = copied ? 0.25f + 0.5f * Unit(tokens[p - 1], 7) : 1f + 4f * Unit(tokens[p - 1], before);
            }
            if (p >= 2) seen.Add((tokens[p - 2], tokens[p - 1]));
        }
        return positions.Select(p => byPosition[p]).ToArray();
    }

    // A hash of two ints mapped to [0, 1) in steps of 1/1024: exact in float arithmetic everywhere.
    private static float Unit(int a, int b) => (uint)(((a * 0x9E3779B1L) ^ (b * 0x85EBCA77L)) >> 7) % 1024 / 1024f;

    public void Dispose() { }
}
