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

/// <summary>One transformer block's weights, each matrix row-major [out][in] (ggml shape [in, out]).</summary>
public sealed record LlamaLayer(float[] AttnNorm, float[] Wq, float[] Wk, float[] Wv, float[] Wo, float[] FfnNorm, float[] WGate, float[] WUp, float[] WDown);

/// <summary>A Llama model's weights with its tokenizer: what the GGUF file holds.</summary>
public sealed record LlamaModel(LlamaConfig Config, BpeVocabulary Vocabulary, float[] TokenEmbedding, LlamaLayer[] Layers, float[] OutputNorm, float[] Output)
{
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
        w.AddTensor(new("token_embd.weight", [c.Dim, c.VocabSize], TokenEmbedding), type);
        for (int l = 0; l < c.Layers; l++)
        {
            var L = Layers[l];
            string p = $"blk.{l}.";
            w.AddTensor(new(p + "attn_norm.weight", [c.Dim], L.AttnNorm), GgmlType.F32)
             .AddTensor(new(p + "attn_q.weight", [c.Dim, c.Dim], L.Wq), type)
             .AddTensor(new(p + "attn_k.weight", [c.Dim, c.KvDim], L.Wk), type)
             .AddTensor(new(p + "attn_v.weight", [c.Dim, c.KvDim], L.Wv), type)
             .AddTensor(new(p + "attn_output.weight", [c.Dim, c.Dim], L.Wo), type)
             .AddTensor(new(p + "ffn_norm.weight", [c.Dim], L.FfnNorm), GgmlType.F32)
             .AddTensor(new(p + "ffn_gate.weight", [c.Dim, c.FfnDim], L.WGate), type)
             .AddTensor(new(p + "ffn_up.weight", [c.Dim, c.FfnDim], L.WUp), type)
             .AddTensor(new(p + "ffn_down.weight", [c.FfnDim, c.Dim], L.WDown), type);
        }
        w.AddTensor(new("output_norm.weight", [c.Dim], OutputNorm), GgmlType.F32)
         .AddTensor(new("output.weight", [c.Dim, c.VocabSize], Output), type);
        w.Save(path);
    }
}
