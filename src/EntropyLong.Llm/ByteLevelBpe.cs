using System.Text;
using System.Text.RegularExpressions;

namespace EntropyLong.Llm;

/// <summary>A byte-level BPE vocabulary in GPT-2's layout (llama.cpp tokenizer model "gpt2"): 256 byte tokens
/// written through GPT-2's byte-to-unicode map, learned merges, then control tokens.</summary>
public sealed record BpeVocabulary(string[] Tokens, int[] TokenTypes, string[] Merges, int Bos, int Eos)
{
    public const int Normal = 1, Control = 3;
    /// <summary>llama.cpp pre-tokenizer name whose split the trainer reproduces.</summary>
    public const string PreTokenizer = "gpt-2";
}

public static class ByteLevelBpe
{
    // llama.cpp's "gpt2" pre-tokenizer split (plus a plain whitespace fallback so no text is lost).
    private static readonly Regex Split = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    /// <summary>GPT-2's reversible map from bytes to printable characters.</summary>
    public static readonly char[] ByteToChar = BuildByteMap();

    private static char[] BuildByteMap()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>Learns merges until the vocabulary holds <paramref name="vocabSize"/> tokens (byte tokens and the two
    /// control tokens included) or no pair occurs twice. Deterministic: ties go to the smaller pair of ids.</summary>
    public static BpeVocabulary Train(IEnumerable<string> texts, int vocabSize)
    {
        if (vocabSize < 258) throw new ArgumentOutOfRangeException(nameof(vocabSize), "needs room for 256 bytes and BOS/EOS");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in Split.Matches(text))
                counts[m.Value] = counts.GetValueOrDefault(m.Value) + 1;

        var tokens = new List<string>(vocabSize);
        var idOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) { idOf[ByteToChar[b].ToString()] = b; tokens.Add(ByteToChar[b].ToString()); }

        var words = new List<int[]>();
        var freq = new List<long>();
        foreach (var (word, count) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            words.Add(Encoding.UTF8.GetBytes(word).Select(b => (int)b).ToArray());
            freq.Add(count);
        }

        var pairCount = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        var touched = new HashSet<(int, int)>(); // pairs whose count changed since the queue last saw them
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);
        touched.Clear();
        var queue = new PriorityQueue<(int, int), (long, int, int)>();
        foreach (var (p, c) in pairCount) queue.Enqueue(p, (-c, p.Item1, p.Item2));

        var merges = new List<string>();
        while (tokens.Count < vocabSize - 2 && queue.TryDequeue(out var pair, out var prio))
        {
            long current = pairCount.GetValueOrDefault(pair);
            if (current != -prio.Item1) continue; // stale entry
            if (current < 2) break;
            string merged = tokens[pair.Item1] + tokens[pair.Item2];
            if (!idOf.TryGetValue(merged, out int id)) { id = tokens.Count; tokens.Add(merged); idOf[merged] = id; }
            merges.Add(tokens[pair.Item1] + " " + tokens[pair.Item2]);
            foreach (int w in pairWords[pair].ToArray())
            {
                AddPairs(w, -1);
                words[w] = MergeWord(words[w], pair, id);
                AddPairs(w, +1);
            }
            foreach (var p in touched) if (pairCount.GetValueOrDefault(p) > 0) queue.Enqueue(p, (-pairCount[p], p.Item1, p.Item2));
            touched.Clear();
        }

        int bos = tokens.Count; tokens.Add("<s>");
        int eos = tokens.Count; tokens.Add("</s>");
        var types = tokens.Select((_, i) => i >= bos ? BpeVocabulary.Control : BpeVocabulary.Normal).ToArray();
        return new BpeVocabulary(tokens.ToArray(), types, merges.ToArray(), bos, eos);

        void AddPairs(int w, int sign)
        {
            var s = words[w];
            for (int i = 0; i + 1 < s.Length; i++)
            {
                var p = (s[i], s[i + 1]);
                long c = pairCount.GetValueOrDefault(p) + sign * freq[w];
                if (c == 0) pairCount.Remove(p); else pairCount[p] = c;
                if (sign > 0) { if (!pairWords.TryGetValue(p, out var set)) pairWords[p] = set = new(); set.Add(w); }
                touched.Add(p);
            }
        }
    }

    private static int[] MergeWord(int[] word, (int, int) pair, int id)
    {
        var result = new List<int>(word.Length);
        for (int i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == pair.Item1 && word[i + 1] == pair.Item2) { result.Add(id); i++; }
            else result.Add(word[i]);
        }
        return result.ToArray();
    }
}
