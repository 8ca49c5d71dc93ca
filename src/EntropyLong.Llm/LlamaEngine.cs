using System.Text;
using EntropyLong.Core;
using LLama.Native;

namespace EntropyLong.Llm;

/// <summary>Engine settings. <see cref="Exact"/> keeps the KV cache in F32 and flash attention off, so entropies match
/// a float64 reference forward pass to 1e-4; the default (F16 KV, flash attention where llama.cpp picks it) is faster.</summary>
public sealed record LlamaSettings
{
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Tokens per llama_decode call (llama.cpp n_batch).</summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>Tokens per compute step inside a decode (llama.cpp n_ubatch).</summary>
    public int MicroBatchSize { get; init; } = 512;
    /// <summary>Longest sequence scored; 0 = the model's training context.</summary>
    public int ContextLength { get; init; }
    /// <summary>Independent sequences decoded together (llama.cpp n_seq_max).</summary>
    public int MaxSequences { get; init; } = 32;
    /// <summary>KV cells shared by all sequences, in multiples of the context length.</summary>
    public int KvContexts { get; init; } = 2;
    public bool Exact { get; init; }
}

/// <summary><see cref="IEntropyModel"/> on llama.cpp: loads any GGUF causal LM, tokenizes with its own tokenizer, and
/// computes full-vocabulary entropies straight from the native logits buffer, only at the requested positions.
/// Many sequences share each llama_decode call; a group's prefix is decoded once and its KV cells are shared by
/// every sequence of the group (llama_memory_seq_cp on a unified cache copies no data).</summary>
public sealed class LlamaEngine : IEntropyModel
{
    private readonly SafeLlamaModelHandle _model;
    private readonly SafeLLamaContextHandle _context;
    private readonly LlamaSettings _settings;
    private readonly int _kvCells;
    private readonly float[] _scratch;

    public ModelInfo Info { get; }
    public LlamaSettings Settings => _settings;

    private LlamaEngine(SafeLlamaModelHandle model, SafeLLamaContextHandle context, LlamaSettings settings, ModelInfo info, int kvCells)
    {
        _model = model;
        _context = context;
        _settings = settings;
        Info = info;
        _kvCells = kvCells;
        _scratch = new float[2 * info.VocabSize];
    }

    /// <summary>Loads a GGUF model. A missing or non-GGUF file is a <see cref="UserInputException"/>.</summary>
    public static LlamaEngine Load(string path, LlamaSettings? settings = null)
    {
        settings ??= new LlamaSettings();
        GgufFile.Check(path);
        LlamaRuntime.EnsureLoaded();
        var modelParams = LLamaModelParams.Default();
        modelParams.n_gpu_layers = int.TryParse(Environment.GetEnvironmentVariable("ENTROPYLONG_GPU_LAYERS"), out var g) ? g : 0;
        SafeLlamaModelHandle model;
        try { model = SafeLlamaModelHandle.LoadFromFile(path, modelParams); }
        catch (Exception e) { throw new UserInputException($"{path}: llama.cpp could not load this model ({e.Message} {LlamaRuntime.LastErrors()})".Trim(), e); }

        int trainCtx = model.ContextSize;
        int ctx = settings.ContextLength > 0 ? settings.ContextLength : trainCtx;
        int kvCells = ctx * Math.Max(1, settings.KvContexts);
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)kvCells;
        p.n_batch = (uint)settings.BatchSize;
        p.n_ubatch = (uint)Math.Min(settings.MicroBatchSize, settings.BatchSize);
        p.n_seq_max = (uint)settings.MaxSequences;
        p.kv_unified = true;
        p.n_threads = settings.Threads;
        p.n_threads_batch = settings.Threads;
        p.no_perf = true;
        if (settings.Exact)
        {
            p.type_k = GGMLType.GGML_TYPE_F32;
            p.type_v = GGMLType.GGML_TYPE_F32;
            p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        }
        SafeLLamaContextHandle context;
        try { context = model.CreateContext(p); }
        catch (Exception e)
        {
            model.Dispose();
            throw new UserInputException($"{path}: llama.cpp could not create a context ({e.Message} {LlamaRuntime.LastErrors()})".Trim(), e);
        }
        var vocab = model.Vocab;
        // LLamaSharp 0.30 passes the key to llama.cpp in a pooled buffer without a terminating NUL, so a dirty pool
        // can make a present key look missing (seen when engines load on parallel threads): terminate it ourselves.
        string? Meta(string key) => model.MetadataValueByKey(key + "\0") is { } v ? Encoding.UTF8.GetString(v.Span).TrimEnd('\0') : null;
        var info = new ModelInfo(
            Meta("general.name") ?? Path.GetFileNameWithoutExtension(path),
            Meta("general.architecture") ?? "?",
            vocab.Count, ctx, vocab.BOS is { } bos ? (int)bos : null, vocab.ShouldAddBOS && vocab.BOS is not null,
            (long)model.ParameterCount);
        return new LlamaEngine(model, context, settings, info, kvCells);
    }

    public int[] Tokenize(string text)
    {
        var tokens = _model.Tokenize(text, false, false, Encoding.UTF8);
        var result = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) result[i] = (int)tokens[i];
        return result;
    }

    public string Detokenize(ReadOnlySpan<int> tokens)
    {
        var bytes = new List<byte>(tokens.Length * 4);
        Span<byte> piece = stackalloc byte[256];
        foreach (int t in tokens)
        {
            uint n = _model.TokenToSpan(t, piece, 0, false);
            if (n > piece.Length) n = (uint)piece.Length;
            for (int i = 0; i < n; i++) bytes.Add(piece[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The UTF-8 bytes token <paramref name="token"/> stands for (a piece may end inside a character).</summary>
    public byte[] TokenBytes(int token)
    {
        Span<byte> piece = stackalloc byte[256];
        uint n = _model.TokenToSpan(token, piece, 0, false);
        if (n > piece.Length) throw new InvalidOperationException($"token {token} is longer than {piece.Length} bytes");
        return piece[..(int)n].ToArray();
    }

    /// <summary>Decodes a batch exactly as <see cref="Score"/> would but computes no entropy: the raw engine
    /// throughput the benchmark compares against.</summary>
    public void DecodeOnly(IReadOnlyList<ScoreGroup> groups, CancellationToken cancellationToken = default) =>
        Run(groups, computeEntropy: false, cancellationToken);

    public float[][] Score(IReadOnlyList<ScoreGroup> groups, CancellationToken cancellationToken = default) =>
        Run(groups, computeEntropy: true, cancellationToken);

    // A sequence being decoded: its tokens, where they start, and which positions want an entropy (each position p
    // reads the logits after token p-1, so it belongs to the stream holding that token).
    private sealed class Stream(int seq, ReadOnlyMemory<int> tokens, int startPos, int[] positions, int[] slots, float[] results)
    {
        public readonly int Seq = seq;
        public readonly ReadOnlyMemory<int> Tokens = tokens;
        public readonly int StartPos = startPos;
        public readonly int[] Positions = positions;
        public readonly int[] Slots = slots;   // where each position's entropy goes in Results
        public readonly float[] Results = results;
        public int Next;       // next token index to add to a batch
        public int NextWanted; // next index into Positions
        public bool Done => Next == Tokens.Length;

        public static Stream For(int seq, ReadOnlyMemory<int> tokens, int startPos, int[] positions, float[] results)
        {
            var mine = Enumerable.Range(0, positions.Length).Where(i => positions[i] > startPos).OrderBy(i => positions[i]).ToArray();
            return new Stream(seq, tokens, startPos, mine.Select(i => positions[i]).ToArray(), mine, results);
        }
    }

    private float[][] Run(IReadOnlyList<ScoreGroup> groups, bool computeEntropy, CancellationToken ct)
    {
        int total = groups.Sum(g => g.Sequences.Count);
        var results = new float[total][];
        var work = new Queue<(int Group, int Seq, int Flat)>();
        int flat = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            for (int s = 0; s < group.Sequences.Count; s++, flat++)
            {
                var seq = group.Sequences[s];
                int length = group.Prefix.Length + seq.Tokens.Length;
                if (length > Info.ContextLength)
                    throw new ArgumentException($"a sequence of {length} tokens exceeds the context length {Info.ContextLength}");
                foreach (var p in seq.Positions)
                    if (p < 1 || p >= length) throw new ArgumentException($"position {p} is outside 1..{length - 1}");
                results[flat] = new float[seq.Positions.Length];
                work.Enqueue((g, s, flat));
            }
        }

        _context.MemoryClear(true);
        var freeSeqs = new Stack<int>(Enumerable.Range(0, _settings.MaxSequences).Reverse());
        var active = new List<Stream>();
        // The group whose prefix is decoded (or being decoded) and the seq id holding it.
        int prefixGroup = -1, prefixSeq = -1, prefixUsers = 0;
        Stream? prefixStream = null;
        int cellsInUse = 0;
        var batch = new LLamaBatch();
        var wanted = new List<(Stream Stream, int Index, int BatchIndex)>();

        while (work.Count > 0 || active.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            // Admit work in order while sequence ids and KV cells last.
            while (work.Count > 0)
            {
                var (g, s, f) = work.Peek();
                var group = groups[g];
                if (g != prefixGroup)
                {
                    if (prefixUsers > 0 || (prefixStream is not null && !prefixStream.Done)) break; // the old prefix is still needed
                    ReleasePrefix();
                    if (group.Prefix.Length > 0)
                    {
                        if (freeSeqs.Count == 0 || cellsInUse + group.Prefix.Length > _kvCells) break;
                        prefixSeq = freeSeqs.Pop();
                        // Positions inside the prefix depend on the prefix alone: score them once on its stream.
                        int[] inPrefix = group.Sequences.SelectMany(q => q.Positions).Where(p => p <= group.Prefix.Length).Distinct().Order().ToArray();
                        prefixStream = Stream.For(prefixSeq, group.Prefix, 0, inPrefix, new float[inPrefix.Length]);
                        active.Add(prefixStream);
                        cellsInUse += group.Prefix.Length;
                    }
                    prefixGroup = g;
                }
                if (prefixStream is not null && !prefixStream.Done) break; // continuations wait for their prefix
                var sequence = group.Sequences[s];
                if (freeSeqs.Count == 0 || cellsInUse + sequence.Tokens.Length > _kvCells) break;
                work.Dequeue();
                int id = freeSeqs.Pop();
                if (prefixStream is not null)
                {
                    _context.MemorySequenceCopy((LLamaSeqId)prefixSeq, (LLamaSeqId)id, -1, -1);
                    prefixUsers++;
                }
                var stream = Stream.For(id, sequence.Tokens, group.Prefix.Length, sequence.Positions, results[f]);
                if (prefixStream is not null)
                    for (int i = 0; i < sequence.Positions.Length; i++)
                        if (sequence.Positions[i] <= group.Prefix.Length)
                            results[f][i] = prefixStream.Results[Array.IndexOf(prefixStream.Positions, sequence.Positions[i])];
                active.Add(stream);
                cellsInUse += sequence.Tokens.Length;
            }
            if (active.Count == 0) throw new InvalidOperationException("a sequence does not fit the KV cache");

            // Fill one batch from the active streams, in admission order.
            batch.Clear();
            wanted.Clear();
            foreach (var st in active)
            {
                var span = st.Tokens.Span;
                while (!st.Done && batch.TokenCount < _settings.BatchSize)
                {
                    int pos = st.StartPos + st.Next;
                    // The entropy at position p comes from the logits after token p-1.
                    bool logits = st.NextWanted < st.Positions.Length && st.Positions[st.NextWanted] == pos + 1;
                    int bi = batch.Add(span[st.Next], pos, (LLamaSeqId)st.Seq, logits);
                    if (logits) wanted.Add((st, st.Slots[st.NextWanted++], bi));
                    st.Next++;
                }
                if (batch.TokenCount >= _settings.BatchSize) break;
            }

            var rc = _context.Decode(batch);
            if (rc != DecodeResult.Ok)
                throw new InvalidOperationException($"llama_decode failed ({rc}) {LlamaRuntime.LastErrors()}".Trim());

            if (computeEntropy)
                foreach (var (st, index, bi) in wanted)
                    st.Results[index] = Entropy.FromLogits(_context.GetLogitsIth(bi), _scratch);
            else
                foreach (var (_, _, bi) in wanted)
                    _ = _context.GetLogitsIth(bi)[0];

            // Retire finished continuations; the prefix stays while its group still has work.
            for (int i = active.Count - 1; i >= 0; i--)
            {
                var st = active[i];
                if (!st.Done || st == prefixStream) continue;
                active.RemoveAt(i);
                _context.MemorySequenceRemove((LLamaSeqId)st.Seq, -1, -1);
                freeSeqs.Push(st.Seq);
                cellsInUse -= st.Tokens.Length;
                if (prefixStream is not null) prefixUsers--;
            }
            if (prefixStream is not null && prefixStream.Done && prefixUsers == 0 && (work.Count == 0 || work.Peek().Group != prefixGroup))
                ReleasePrefix();
        }
        ReleasePrefix();
        return results;

        void ReleasePrefix()
        {
            if (prefixStream is null) return;
            active.Remove(prefixStream);
            _context.MemorySequenceRemove((LLamaSeqId)prefixSeq, -1, -1);
            freeSeqs.Push(prefixSeq);
            cellsInUse -= prefixStream.Tokens.Length;
            prefixStream = null;
            prefixSeq = -1;
            prefixGroup = -1;
        }
    }

    /// <summary>Surprisal of each next token: result[i] = -log p(tokens[i+1] | tokens[..i+1]), decoding tokens[..^1] as
    /// one sequence from position 0 (so tokens may be one longer than the context).</summary>
    public double[] NegLogLikelihoods(ReadOnlySpan<int> tokens)
    {
        int n = tokens.Length - 1;
        if (n < 1) return [];
        if (n > Info.ContextLength) throw new ArgumentException($"{n} input tokens exceed the context length {Info.ContextLength}");
        _context.MemoryClear(true);
        var result = new double[n];
        var batch = new LLamaBatch();
        for (int start = 0; start < n; start += _settings.BatchSize)
        {
            int end = Math.Min(n, start + _settings.BatchSize);
            batch.Clear();
            for (int i = start; i < end; i++) batch.Add(tokens[i], i, (LLamaSeqId)0, true);
            var rc = _context.Decode(batch);
            if (rc != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed ({rc}) {LlamaRuntime.LastErrors()}".Trim());
            for (int i = start; i < end; i++)
                result[i] = Entropy.NegLogLikelihood(_context.GetLogitsIth(i - start), tokens[i + 1], _scratch);
        }
        _context.MemoryClear(true);
        return result;
    }

    public void Dispose()
    {
        _context.Dispose();
        _model.Dispose();
    }
}
