namespace EntropyLong.Llm;

/// <summary>Dimensions of a Llama-architecture model (RMSNorm, rotary embeddings in llama.cpp's "norm" mode on
/// adjacent pairs, grouped-query attention, SwiGLU feed-forward, untied output).</summary>
public sealed record LlamaConfig(int VocabSize, int Dim, int Layers, int Heads, int KvHeads, int FfnDim, int ContextLength,
    float RopeBase = LlamaConfig.DefaultRopeBase, float NormEps = 1e-5f)
{
    /// <summary>Llama's RoPE base (theta); checkpoints without one were trained with it.</summary>
    public const float DefaultRopeBase = 10000f;

    public int HeadDim => Dim / Heads;
    public int KvDim => KvHeads * HeadDim;

    public long ParameterCount =>
        2L * VocabSize * Dim + Dim + (long)Layers * (2L * Dim + 2L * Dim * Dim + 2L * Dim * KvDim + 3L * Dim * FfnDim);
}

/// <summary>The GGUF names of a Llama model's tensors, as llama.cpp looks them up: the one place they are spelled.</summary>
public static class LlamaTensorNames
{
    public const string TokenEmbedding = "token_embd.weight", OutputNorm = "output_norm.weight", Output = "output.weight";
    public static string AttnNorm(int layer) => $"blk.{layer}.attn_norm.weight";
    public static string Q(int layer) => $"blk.{layer}.attn_q.weight";
    public static string K(int layer) => $"blk.{layer}.attn_k.weight";
    public static string V(int layer) => $"blk.{layer}.attn_v.weight";
    public static string AttnOutput(int layer) => $"blk.{layer}.attn_output.weight";
    public static string FfnNorm(int layer) => $"blk.{layer}.ffn_norm.weight";
    public static string Gate(int layer) => $"blk.{layer}.ffn_gate.weight";
    public static string Up(int layer) => $"blk.{layer}.ffn_up.weight";
    public static string Down(int layer) => $"blk.{layer}.ffn_down.weight";
}

/// <summary>A model tensor: its GGUF name, ggml shape ([in, out] for a matrix, [n] for a norm gain) and data.</summary>
public sealed record LlamaTensor(string Name, long[] Shape, float[] Data)
{
    public bool IsNorm => Shape.Length == 1;
}

/// <summary>One transformer block's weights, each matrix row-major [out][in] (ggml shape [in, out]).</summary>
public sealed record LlamaLayer(float[] AttnNorm, float[] Wq, float[] Wk, float[] Wv, float[] Wo, float[] FfnNorm, float[] WGate, float[] WUp, float[] WDown);

/// <summary>A Llama model's weights with its tokenizer: what the GGUF file holds.</summary>
public sealed record LlamaModel(LlamaConfig Config, BpeVocabulary Vocabulary, float[] TokenEmbedding, LlamaLayer[] Layers, float[] OutputNorm, float[] Output)
{
    /// <summary>Every tensor with its GGUF name and shape, in file order: what GGUF files, checkpoints and the trainer list.</summary>
    public IEnumerable<LlamaTensor> Tensors()
    {
        var c = Config;
        yield return new(LlamaTensorNames.TokenEmbedding, [c.Dim, c.VocabSize], TokenEmbedding);
        for (int l = 0; l < c.Layers; l++)
        {
            var L = Layers[l];
            yield return new(LlamaTensorNames.AttnNorm(l), [c.Dim], L.AttnNorm);
            yield return new(LlamaTensorNames.Q(l), [c.Dim, c.Dim], L.Wq);
            yield return new(LlamaTensorNames.K(l), [c.Dim, c.KvDim], L.Wk);
            yield return new(LlamaTensorNames.V(l), [c.Dim, c.KvDim], L.Wv);
            yield return new(LlamaTensorNames.AttnOutput(l), [c.Dim, c.Dim], L.Wo);
            yield return new(LlamaTensorNames.FfnNorm(l), [c.Dim], L.FfnNorm);
            yield return new(LlamaTensorNames.Gate(l), [c.Dim, c.FfnDim], L.WGate);
            yield return new(LlamaTensorNames.Up(l), [c.Dim, c.FfnDim], L.WUp);
            yield return new(LlamaTensorNames.Down(l), [c.FfnDim, c.Dim], L.WDown);
        }
        yield return new(LlamaTensorNames.OutputNorm, [c.Dim], OutputNorm);
        yield return new(LlamaTensorNames.Output, [c.Dim, c.VocabSize], Output);
    }

    /// <summary>All weights zero: the shapes, for weights that come from elsewhere (a trainer, a checkpoint).</summary>
    public static LlamaModel Zeros(LlamaConfig c, BpeVocabulary vocab)
    {
        var layers = new LlamaLayer[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            layers[l] = new LlamaLayer(new float[c.Dim], new float[c.Dim * c.Dim], new float[c.KvDim * c.Dim], new float[c.KvDim * c.Dim],
                new float[c.Dim * c.Dim], new float[c.Dim], new float[c.FfnDim * c.Dim], new float[c.FfnDim * c.Dim], new float[c.Dim * c.FfnDim]);
        return new LlamaModel(c, vocab, new float[c.VocabSize * c.Dim], layers, new float[c.Dim], new float[c.VocabSize * c.Dim]);
    }

    /// <summary>Random weights (normal, std 1/sqrt(fan-in); norms at 1): a model to test engines with, made on the spot.</summary>
    public static LlamaModel Random(LlamaConfig c, BpeVocabulary vocab, int seed)
    {
        if (vocab.Tokens.Length != c.VocabSize) throw new ArgumentException("config vocabulary size differs from the vocabulary");
        var rng = new Random(seed);
        float[] Normal(int n, double std)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++)
                a[i] = (float)(std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            return a;
        }
        float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        var layers = new LlamaLayer[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            layers[l] = new LlamaLayer(Ones(c.Dim), Normal(c.Dim * c.Dim, 1 / Math.Sqrt(c.Dim)), Normal(c.KvDim * c.Dim, 1 / Math.Sqrt(c.Dim)),
                Normal(c.KvDim * c.Dim, 1 / Math.Sqrt(c.Dim)), Normal(c.Dim * c.Dim, 1 / Math.Sqrt(c.Dim)), Ones(c.Dim),
                Normal(c.FfnDim * c.Dim, 1 / Math.Sqrt(c.Dim)), Normal(c.FfnDim * c.Dim, 1 / Math.Sqrt(c.Dim)), Normal(c.Dim * c.FfnDim, 1 / Math.Sqrt(c.FfnDim)));
        return new LlamaModel(c, vocab, Normal(c.VocabSize * c.Dim, 1.0), layers, Ones(c.Dim), Normal(c.VocabSize * c.Dim, 1 / Math.Sqrt(c.Dim)));
    }

    /// <summary>Writes a GGUF file llama.cpp loads as architecture "llama" with a "gpt2" byte-level BPE tokenizer.
    /// Norm vectors are always F32 (as llama.cpp's converters write them); matrices in <paramref name="type"/>.</summary>
    public void SaveGguf(string path, GgmlType type = GgmlType.F32, string name = "entropylong-llama", bool addBos = true)
    {
        var c = Config;
        var w = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.name", name)
            .Add("general.alignment", 32u)
            .Add("general.file_type", (uint)(type == GgmlType.F32 ? 0 : 1))
            .Add("llama.vocab_size", (uint)c.VocabSize)
            .Add("llama.context_length", (uint)c.ContextLength)
            .Add("llama.embedding_length", (uint)c.Dim)
            .Add("llama.block_count", (uint)c.Layers)
            .Add("llama.feed_forward_length", (uint)c.FfnDim)
            .Add("llama.attention.head_count", (uint)c.Heads)
            .Add("llama.attention.head_count_kv", (uint)c.KvHeads)
            .Add("llama.rope.dimension_count", (uint)c.HeadDim)
            .Add("llama.rope.freq_base", c.RopeBase)
            .Add("llama.attention.layer_norm_rms_epsilon", c.NormEps)
            .Add("tokenizer.ggml.model", "gpt2")
            .Add("tokenizer.ggml.pre", BpeVocabulary.PreTokenizer)
            .Add("tokenizer.ggml.tokens", Vocabulary.Tokens)
            .Add("tokenizer.ggml.token_type", Vocabulary.TokenTypes)
            .Add("tokenizer.ggml.merges", Vocabulary.Merges)
            .Add("tokenizer.ggml.bos_token_id", (uint)Vocabulary.Bos)
            .Add("tokenizer.ggml.eos_token_id", (uint)Vocabulary.Eos)
            .Add("tokenizer.ggml.add_bos_token", addBos)
            .Add("tokenizer.ggml.add_eos_token", false);
        foreach (var t in Tensors()) w.AddTensor(new(t.Name, t.Shape, t.Data), t.IsNorm ? GgmlType.F32 : type);
        w.Save(path);
    }
}
