using EntropyLong.Core;

namespace EntropyLong.Llm.Training;

/// <summary>A Llama model as a ggml training graph, in the spirit of llm.c: every weight is a ggml parameter,
/// ggml builds the backward pass and runs AdamW. The forward pass is exactly the llama.cpp "llama" graph
/// (see tests' ReferenceForward): RMSNorm, RoPE in normal mode on adjacent pairs, grouped-query causal attention
/// scaled 1/sqrt(headDim), SwiGLU, untied output, mean cross-entropy of the next token.
/// <para>All tensors live in one ggml context (weights, gradient accumulators, Adam moments, activations of one
/// micro-batch); three graphs share them: forward only (evaluation), forward+backward (accumulates gradients
/// into per-weight accumulators), and the AdamW steps.</para>
/// <para>With document masking (ProLong's, for packed sequences) every token of a window carries a segment id:
/// a token attends only to earlier tokens of its own segment, and a position counts in the loss only when its
/// target is in the same segment (the first token of a segment has nothing of its own to be predicted from).
/// ggml_cross_entropy_loss's backward assumes every label row sums to 1, so a masked row is excluded twice: its
/// label row is zero (no loss) and its logits are multiplied by 0 (no gradient); the mean is then rescaled to
/// the positions that count.</para></summary>
public sealed class LlamaTrainer : IDisposable
{
    /// <summary>One trainable tensor: its GGUF name, ggml tensor, gradient accumulator and Adam moments.</summary>
    private sealed record Weight(string Name, IntPtr Tensor, IntPtr Grad, IntPtr M, IntPtr V, bool Decay);

    private readonly IntPtr _ctx, _backend;
    private readonly IntPtr _tokens, _positions, _labels, _logits, _loss, _adamDecay, _adamNoDecay;
    private readonly IntPtr _attentionMask, _rowMask, _lossScale; // document masking only
    private readonly IntPtr _forward, _train, _optimize;
    private readonly List<Weight> _weights = new();
    private bool _disposed;

    public LlamaConfig Config { get; }
    /// <summary>Sequences of <see cref="LlamaConfig.ContextLength"/> tokens in one forward/backward pass.</summary>
    public int MicroBatch { get; }
    /// <summary>Attention and loss follow the segment ids given with each batch (see the class remarks).</summary>
    public bool DocumentMasking { get; }
    /// <summary>Bytes of the ggml context holding weights, optimizer state and one micro-batch's activations.</summary>
    public long MemoryBytes { get; }
    public IReadOnlyList<string> WeightNames => _weights.Select(w => w.Name).ToArray();

    public LlamaTrainer(LlamaConfig config, int microBatch = 1, int threads = 0, bool documentMasking = false)
    {
        if (config.Dim % config.Heads != 0 || config.HeadDim % 2 != 0 || config.Heads % config.KvHeads != 0)
            throw new ArgumentException("dim must split into heads of even size, and heads into kv-head groups");
        Config = config;
        MicroBatch = microBatch;
        DocumentMasking = documentMasking;
        // Build once without data to learn the size, then for real: the graph is the same.
        var probe = Ggml.Init(new Ggml.InitParams { MemSize = ContextMetadataBytes(config), NoAlloc = 1 });
        try
        {
            Build(probe, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, _weights);
            long bytes = (long)ContextMetadataBytes(config);
            for (var t = Ggml.FirstTensor(probe); t != IntPtr.Zero; t = Ggml.NextTensor(probe, t)) bytes += (long)Ggml.NBytesPad(t);
            MemoryBytes = bytes;
        }
        finally { Ggml.Free(probe); _weights.Clear(); }

        _ctx = Ggml.Init(new Ggml.InitParams { MemSize = (nuint)MemoryBytes, NoAlloc = 0 });
        if (_ctx == IntPtr.Zero) throw new OutOfMemoryException($"ggml could not allocate {MemoryBytes >> 20} MiB for training");
        Build(_ctx, out _tokens, out _positions, out _labels, out _attentionMask, out _rowMask, out _lossScale, out _logits, out _loss,
            out _adamDecay, out _adamNoDecay, out _forward, out _train, out _optimize, _weights);
        foreach (var w in _weights) { Ggml.SetZero(w.M); Ggml.SetZero(w.V); }
        var pos = Ggml.I32(_positions);
        for (int i = 0; i < pos.Length; i++) pos[i] = i % config.ContextLength;
        _backend = Ggml.CpuInit();
        Ggml.CpuSetThreads(_backend, threads > 0 ? threads : Environment.ProcessorCount);
    }

    private static nuint GraphSize(LlamaConfig c) => (nuint)(4096 + 256 * c.Layers);

    private static nuint ContextMetadataBytes(LlamaConfig c) =>
        (nuint)((20000 + 400 * c.Layers) * (long)Ggml.TensorOverhead()) + 3 * Ggml.GraphOverhead(GraphSize(c), true) + (1 << 20);

    private void Build(IntPtr ctx, out IntPtr tokens, out IntPtr positions, out IntPtr labels, out IntPtr attentionMask, out IntPtr rowMask,
        out IntPtr lossScale, out IntPtr logits, out IntPtr loss, out IntPtr adamDecay, out IntPtr adamNoDecay, out IntPtr forward, out IntPtr train,
        out IntPtr optimize, List<Weight> weights)
    {
        var c = Config;
        int T = c.ContextLength, n = T * MicroBatch, hd = c.HeadDim;
        var parameters = new List<(string Name, IntPtr Tensor, bool Decay)>();
        IntPtr Param(string name, long ne0, long ne1 = 0)
        {
            var t = ne1 == 0 ? Ggml.New1d(ctx, Ggml.TypeF32, ne0) : Ggml.New2d(ctx, Ggml.TypeF32, ne0, ne1);
            Ggml.SetParam(t);
            parameters.Add((name, t, ne1 != 0)); // no weight decay on norm gains
            return t;
        }

        tokens = Ggml.New1d(ctx, Ggml.TypeI32, n);
        positions = Ggml.New1d(ctx, Ggml.TypeI32, n);
        labels = Ggml.New2d(ctx, Ggml.TypeF32, c.VocabSize, n);
        Ggml.SetInput(tokens); Ggml.SetInput(positions); Ggml.SetInput(labels);
        attentionMask = rowMask = lossScale = IntPtr.Zero;
        if (DocumentMasking)
        {
            // [key, query, 1, sequence]: soft_max_ext broadcasts it over the heads of each sequence.
            attentionMask = Ggml.New4d(ctx, Ggml.TypeF32, T, T, 1, MicroBatch);
            rowMask = Ggml.New2d(ctx, Ggml.TypeF32, 1, n);
            lossScale = Ggml.New1d(ctx, Ggml.TypeF32, 1);
            Ggml.SetInput(attentionMask); Ggml.SetInput(rowMask); Ggml.SetInput(lossScale);
        }

        var x = Ggml.GetRows(ctx, Param(LlamaTensorNames.TokenEmbedding, c.Dim, c.VocabSize), tokens); // [dim, n]
        for (int l = 0; l < c.Layers; l++)
        {
            var h = Ggml.Mul(ctx, Ggml.RmsNorm(ctx, x, c.NormEps), Param(LlamaTensorNames.AttnNorm(l), c.Dim));
            var q = Rope(ctx, Ggml.Reshape3d(ctx, Ggml.MulMat(ctx, Param(LlamaTensorNames.Q(l), c.Dim, c.Dim), h), hd, c.Heads, n), positions);
            var k = Rope(ctx, Ggml.Reshape3d(ctx, Ggml.MulMat(ctx, Param(LlamaTensorNames.K(l), c.Dim, c.KvDim), h), hd, c.KvHeads, n), positions);
            var v = Ggml.MulMat(ctx, Param(LlamaTensorNames.V(l), c.Dim, c.KvDim), h);
            // Heads and sequences share ggml's third dimension (head + heads*sequence), so ggml_mul_mat's
            // broadcast of k and v over it gives query head i the kv head i / (heads/kvHeads), as llama.cpp does.
            q = Ggml.Reshape3d(ctx, Ggml.Cont(ctx, Ggml.Permute(ctx, Ggml.Reshape4d(ctx, q, hd, c.Heads, T, MicroBatch), 0, 2, 1, 3)), hd, T, c.Heads * MicroBatch);
            k = Ggml.Reshape3d(ctx, Ggml.Cont(ctx, Ggml.Permute(ctx, Ggml.Reshape4d(ctx, k, hd, c.KvHeads, T, MicroBatch), 0, 2, 1, 3)), hd, T, c.KvHeads * MicroBatch);
            var vt = Ggml.Reshape3d(ctx, Ggml.Cont(ctx, Ggml.Permute(ctx, Ggml.Reshape4d(ctx, v, hd, c.KvHeads, T, MicroBatch), 1, 2, 0, 3)), T, hd, c.KvHeads * MicroBatch);
            var kq = Ggml.MulMat(ctx, k, q);                                   // [key, query, head+heads*seq]
            kq = DocumentMasking
                ? Ggml.Reshape3d(ctx, Ggml.SoftMaxExt(ctx, Ggml.Reshape4d(ctx, kq, T, T, c.Heads, MicroBatch), attentionMask, 1f / MathF.Sqrt(hd), 0f), T, T, c.Heads * MicroBatch)
                : Ggml.SoftMaxExt(ctx, Ggml.DiagMaskInf(ctx, kq, 0), IntPtr.Zero, 1f / MathF.Sqrt(hd), 0f);
            var att = Ggml.MulMat(ctx, vt, kq);                                // [hd, query, head+heads*seq]
            att = Ggml.Reshape2d(ctx, Ggml.Cont(ctx, Ggml.Permute(ctx, Ggml.Reshape4d(ctx, att, hd, T, c.Heads, MicroBatch), 0, 2, 1, 3)), c.Dim, n);
            x = Ggml.Add(ctx, x, Ggml.MulMat(ctx, Param(LlamaTensorNames.AttnOutput(l), c.Dim, c.Dim), att));

            h = Ggml.Mul(ctx, Ggml.RmsNorm(ctx, x, c.NormEps), Param(LlamaTensorNames.FfnNorm(l), c.Dim));
            var gate = Ggml.MulMat(ctx, Param(LlamaTensorNames.Gate(l), c.Dim, c.FfnDim), h);
            var up = Ggml.MulMat(ctx, Param(LlamaTensorNames.Up(l), c.Dim, c.FfnDim), h);
            x = Ggml.Add(ctx, x, Ggml.MulMat(ctx, Param(LlamaTensorNames.Down(l), c.FfnDim, c.Dim), Ggml.Mul(ctx, Ggml.Silu(ctx, gate), up)));
        }
        x = Ggml.Mul(ctx, Ggml.RmsNorm(ctx, x, c.NormEps), Param(LlamaTensorNames.OutputNorm, c.Dim));
        logits = Ggml.MulMat(ctx, Param(LlamaTensorNames.Output, c.Dim, c.VocabSize), x); // [vocab, n]
        loss = DocumentMasking
            ? Ggml.Mul(ctx, Ggml.CrossEntropyLoss(ctx, Ggml.Mul(ctx, logits, rowMask), labels), lossScale)
            : Ggml.CrossEntropyLoss(ctx, logits, labels);
        Ggml.SetLoss(loss);

        forward = Ggml.NewGraph(ctx, GraphSize(c), false);
        Ggml.BuildForwardExpand(forward, loss);

        // Forward+backward, with an accumulator per weight so micro-batches add up their gradients.
        train = Ggml.NewGraph(ctx, GraphSize(c), true);
        Ggml.BuildForwardExpand(train, loss);
        int nodes = Ggml.GraphNodeCount(train);
        var accs = new IntPtr[nodes];
        var gradOf = new Dictionary<IntPtr, IntPtr>();
        for (int i = 0; i < nodes; i++)
        {
            var node = Ggml.GraphNode(train, i);
            var param = parameters.FindIndex(pp => pp.Tensor == node);
            if (param < 0) continue;
            accs[i] = Ggml.DupTensor(ctx, node);
            gradOf[node] = accs[i];
        }
        unsafe
        {
            fixed (IntPtr* a = accs) Ggml.BuildBackwardExpand(ctx, train, a);
        }

        adamDecay = Ggml.New1d(ctx, Ggml.TypeF32, 7);
        adamNoDecay = Ggml.New1d(ctx, Ggml.TypeF32, 7);
        optimize = Ggml.NewGraph(ctx, GraphSize(c), false);
        foreach (var (name, t, decay) in parameters)
        {
            var w = new Weight(name, t, gradOf[t], Ggml.DupTensor(ctx, t), Ggml.DupTensor(ctx, t), decay);
            weights.Add(w);
            Ggml.BuildForwardExpand(optimize, Ggml.OptStepAdamW(ctx, t, w.Grad, w.M, w.V, decay ? adamDecay : adamNoDecay));
        }

        IntPtr Rope(IntPtr cx, IntPtr a, IntPtr pos) =>
            Ggml.RopeExt(cx, a, pos, IntPtr.Zero, hd, Ggml.RopeModeNormal, c.ContextLength, c.RopeBase, 1f, 0f, 1f, 0f, 0f);
    }

    /// <summary>GPT-2 style initial weights: normal(0, 0.02), the two projections into the residual stream
    /// scaled by 1/sqrt(2 layers), norm gains at 1. Deterministic in <paramref name="seed"/>.</summary>
    public static LlamaModel Initialize(LlamaConfig c, BpeVocabulary vocab, int seed)
    {
        var model = LlamaModel.Zeros(c, vocab);
        var rng = new Random(seed);
        float residual = 0.02f / MathF.Sqrt(2 * c.Layers);
        var intoResidual = Enumerable.Range(0, c.Layers).SelectMany(l => new[] { LlamaTensorNames.AttnOutput(l), LlamaTensorNames.Down(l) }).ToHashSet();
        foreach (var t in model.Tensors())
        {
            var data = t.Data;
            if (t.IsNorm) { Array.Fill(data, 1f); continue; }
            float std = intoResidual.Contains(t.Name) ? residual : 0.02f;
            for (int i = 0; i < data.Length; i++)
                data[i] = std * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        }
        return model;
    }

    public Span<float> Weights(string name) => Ggml.F32(Find(name).Tensor);

    /// <summary>The gradient accumulated since <see cref="ZeroGradients"/>.</summary>
    public Span<float> Gradient(string name) => Ggml.F32(Find(name).Grad);

    private Weight Find(string name) => _weights.Find(w => w.Name == name) ?? throw new ArgumentException($"no weight named {name}");

    public void SetWeights(LlamaModel m)
    {
        if (m.Config != Config) throw new ArgumentException("the model's configuration differs from the trainer's");
        foreach (var (name, _, data) in m.Tensors()) data.CopyTo(Weights(name));
    }

    public LlamaModel GetWeights(BpeVocabulary vocab)
    {
        var m = LlamaModel.Zeros(Config, vocab);
        foreach (var (name, _, data) in m.Tensors()) Weights(name).CopyTo(data);
        return m;
    }

    /// <summary>Zeroes the gradient accumulators (and sets d loss / d loss to 1).</summary>
    public void ZeroGradients() => Ggml.GraphReset(_train);

    /// <summary>Mean next-token loss over <see cref="MicroBatch"/> sequences of ContextLength+1 tokens (each predicts
    /// its tokens 1..ContextLength from those before), with its gradient added to the accumulators. With document
    /// masking, <paramref name="segments"/> holds a segment id per token (same layout as the sequences), the mean is
    /// over the positions that count (<see cref="CountedPositions"/>), and the gradient added is that of
    /// <paramref name="gradientWeight"/> times the mean (to weight micro-batches by their counted positions).</summary>
    public float AccumulateGradients(ReadOnlySpan<int> sequences, ReadOnlySpan<int> segments = default, float gradientWeight = 1f)
    {
        SetBatch(sequences, segments, gradientWeight);
        Compute(_train);
        return Ggml.F32(_loss)[0] / gradientWeight;
    }

    /// <summary>Mean next-token loss, forward pass only (over the counted positions, with document masking).</summary>
    public float Loss(ReadOnlySpan<int> sequences, ReadOnlySpan<int> segments = default)
    {
        SetBatch(sequences, segments, 1f);
        Compute(_forward);
        return Ggml.F32(_loss)[0];
    }

    /// <summary>-log p(next token) at every position of the micro-batch from the forward pass's own logits, to check
    /// the graph position by position (the loss averages them away).</summary>
    internal double[] PositionLosses(ReadOnlySpan<int> sequences, ReadOnlySpan<int> segments = default)
    {
        Loss(sequences, segments);
        int T = Config.ContextLength, V = Config.VocabSize;
        var logits = Ggml.F32(_logits);
        var result = new double[MicroBatch * T];
        var scratch = new float[V];
        for (int s = 0; s < MicroBatch; s++)
            for (int i = 0; i < T; i++)
                result[s * T + i] = Entropy.NegLogLikelihood(logits.Slice((s * T + i) * V, V), sequences[s * (T + 1) + i + 1], scratch);
        return result;
    }

    /// <summary>Positions of a window of ContextLength+1 tokens that count in the loss under document masking: input
    /// i predicts token i+1 only when both lie in the same segment, and a segment below 0 is padding.</summary>
    public static int CountedPositions(ReadOnlySpan<int> windowSegments)
    {
        int count = 0;
        for (int i = 0; i + 1 < windowSegments.Length; i++)
            if (windowSegments[i] >= 0 && windowSegments[i + 1] == windowSegments[i]) count++;
        return count;
    }

    private void SetBatch(ReadOnlySpan<int> sequences, ReadOnlySpan<int> segments, float gradientWeight)
    {
        int T = Config.ContextLength, V = Config.VocabSize;
        if (sequences.Length != MicroBatch * (T + 1))
            throw new ArgumentException($"expected {MicroBatch} sequences of {T + 1} tokens, got {sequences.Length} tokens");
        if (DocumentMasking != (segments.Length > 0))
            throw new ArgumentException(DocumentMasking ? "document masking needs a segment id per token" : "segments given to a trainer without document masking");
        if (DocumentMasking && segments.Length != sequences.Length) throw new ArgumentException("one segment id per token");
        var tokens = Ggml.I32(_tokens);
        var labels = Ggml.F32(_labels);
        var rowMask = DocumentMasking ? Ggml.F32(_rowMask) : default;
        labels.Clear();
        int counted = 0;
        for (int s = 0; s < MicroBatch; s++)
            for (int i = 0; i < T; i++)
            {
                int at = s * (T + 1) + i, input = sequences[at], target = sequences[at + 1];
                if ((uint)input >= (uint)V || (uint)target >= (uint)V) throw new ArgumentException($"token id outside the vocabulary of {V}");
                tokens[s * T + i] = input;
                bool counts = !DocumentMasking || (segments[at] >= 0 && segments[at + 1] == segments[at]);
                if (counts) labels[(s * T + i) * V + target] = 1f;
                if (DocumentMasking) rowMask[s * T + i] = counts ? 1f : 0f;
                if (counts) counted++;
            }
        if (!DocumentMasking) return;
        if (counted == 0) throw new ArgumentException("no position of the batch counts in the loss");
        Ggml.F32(_lossScale)[0] = gradientWeight * (MicroBatch * T) / counted;
        var mask = Ggml.F32(_attentionMask);
        for (int s = 0; s < MicroBatch; s++)
        {
            var seg = segments.Slice(s * (T + 1), T);
            for (int q = 0; q < T; q++)
            {
                var row = mask.Slice((s * T + q) * T, T);
                for (int k = 0; k < T; k++) row[k] = k <= q && seg[k] == seg[q] ? 0f : float.NegativeInfinity;
            }
        }
    }

    private void Compute(IntPtr graph)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int status = Ggml.GraphCompute(_backend, graph);
        if (status != 0) throw new InvalidOperationException($"ggml graph computation failed (status {status})");
    }

    /// <summary>Multiplies the accumulated gradients by <paramref name="scale"/>, then clips their global L2 norm
    /// to <paramref name="maxNorm"/> (0: no clipping). Returns the norm before clipping.</summary>
    public double ScaleAndClipGradients(float scale, float maxNorm)
    {
        double sq = 0;
        foreach (var w in _weights)
        {
            var g = Ggml.F32(w.Grad);
            System.Numerics.Tensors.TensorPrimitives.Multiply(g, scale, g);
            sq += System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(g);
        }
        double norm = Math.Sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm)
            foreach (var w in _weights)
            {
                var g = Ggml.F32(w.Grad);
                System.Numerics.Tensors.TensorPrimitives.Multiply(g, (float)(maxNorm / norm), g);
            }
        return norm;
    }

    /// <summary>One ggml AdamW step (step counts from 1, for bias correction). Norm gains get no weight decay.</summary>
    public void AdamW(int step, float learningRate, float beta1, float beta2, float eps, float weightDecay)
    {
        float b1h = 1f / (1f - MathF.Pow(beta1, step)), b2h = 1f / (1f - MathF.Pow(beta2, step));
        ReadOnlySpan<float> decay = [learningRate, beta1, beta2, eps, weightDecay, b1h, b2h];
        ReadOnlySpan<float> noDecay = [learningRate, beta1, beta2, eps, 0f, b1h, b2h];
        decay.CopyTo(Ggml.F32(_adamDecay));
        noDecay.CopyTo(Ggml.F32(_adamNoDecay));
        Compute(_optimize);
    }

    /// <summary>Writes weights and Adam moments (raw float32, trainer order).</summary>
    public void SaveState(BinaryWriter w)
    {
        foreach (var weight in _weights)
            foreach (var t in (ReadOnlySpan<IntPtr>)[weight.Tensor, weight.M, weight.V])
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes((ReadOnlySpan<float>)Ggml.F32(t)));
    }

    /// <summary>Zeroes both Adam moments: a new run that starts from trained weights.</summary>
    public void ResetOptimizer()
    {
        foreach (var weight in _weights)
        {
            Ggml.F32(weight.M).Clear();
            Ggml.F32(weight.V).Clear();
        }
    }

    public void LoadState(BinaryReader r)
    {
        foreach (var weight in _weights)
            foreach (var t in (ReadOnlySpan<IntPtr>)[weight.Tensor, weight.M, weight.V])
            {
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(Ggml.F32(t));
                if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException("checkpoint ends early");
            }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Ggml.BackendFree(_backend);
        Ggml.Free(_ctx);
    }
}
