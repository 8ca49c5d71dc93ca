using EntropyLong.Llm;

namespace EntropyLong.TestSupport;

/// <summary>Small random Llama models written to GGUF on the spot, so no test needs a download.</summary>
public static class TinyModels
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (string Path, LlamaModel Model)> Cache = new();

    /// <summary>Text with enough variety to learn a few hundred merges from, and to score.</summary>
    public static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog. A lazy dog sleeps while the fox runs away into the forest.",
        "Entropy measures uncertainty: a uniform distribution over n outcomes has entropy log n, a certain outcome has none.",
        "In computing, a compiler translates source code into machine code; an interpreter executes it directly.",
        "Rivers carry sediment to the sea. Over millions of years the deltas grow, and new land appears where water was.",
        "The library opened at nine. Students borrowed books on algebra, geometry, chemistry and the history of Rome.",
        "Photosynthesis converts light energy into chemical energy stored in glucose, releasing oxygen as a by-product.",
        "Überall gibt es Wörter mit Umlauten, und 日本語のテキスト also appears, with emoji 🦙 and accents: café, naïve.",
        "Numbers such as 3.14159, 2718 and 1,000,000 appear in text; so do dates like 2024-05-17 and times like 09:30.",
    ];

    /// <summary>A random model with a BPE vocabulary learned from <see cref="Texts"/>, saved as F32 GGUF and cached per process.</summary>
    public static (string Path, LlamaModel Model) Get(int vocab = 384, int dim = 64, int layers = 2, int heads = 4, int kvHeads = 2,
        int ffn = 128, int context = 256, int seed = 1, GgmlType type = GgmlType.F32)
    {
        string key = $"{vocab}-{dim}-{layers}-{heads}-{kvHeads}-{ffn}-{context}-{seed}-{type}";
        lock (Gate)
        {
            if (Cache.TryGetValue(key, out var hit)) return hit;
            var bpe = ByteLevelBpe.Train(Enumerable.Repeat(Texts, 4).SelectMany(t => t), vocab);
            var config = new LlamaConfig(bpe.Tokens.Length, dim, layers, heads, kvHeads, ffn, context);
            var model = LlamaModel.Random(config, bpe, seed);
            string path = Path.Combine(Scratch.Root, $"tiny-{key}.gguf");
            model.SaveGguf(path, type);
            return Cache[key] = (path, model);
        }
    }
}
