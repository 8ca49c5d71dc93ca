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
    /// <summary>Layers offloaded to the GPU (with a GPU build of llama.cpp, see LlamaRuntime; 0 on the CPU build).</summary>
    public int GpuLayers { get; init; }
    /// <summary>KV cells shared by all sequences, in multiples of the context length.</summary>
    public int KvContexts { get; init; } = 4;
    public bool Exact { get; init; }
    /// <summary>Entropies are of softmax(logits / Temperature); 1 (the paper's) is the model's own distribution.</summary>
    public float Temperature { get; init; } = 1;
    /// <summary>Beyond the paper: weight of the context copy distribution mixed into the model's (see
    /// <see cref="CopyMixture"/>); 0, the paper's, scores the model alone.</summary>
    public float CopyWeight { get; init; }
}

/// <summary><see cref="IEntropyModel"/> on llama.cpp: loads any GGUF causal LM, tokenizes with its own tokenizer, and
/// computes full-vocabulary entropies straight from the native logits buffer, only at the requested positions.
/// Many sequences share each llama_decode call; a group's prefix is decoded once and its KV cells are shared by
/// every sequence of the group (llama_memory_seq_cp on a unified cache copies no data).</summary>
public sealed class LlamaEngine : IEntropyModel
{
    private readonly SafeLlamaModelHandle _model;
    private readonly LlamaVocabulary _vocabulary;
    private readonly SafeLLamaContextHandle _context;
    private readonly LlamaSettings _settings;
    private readonly int _kvCells;
    private readonly float[] _scratch;
    private readonly CopyMixture? _copy;

    public ModelInfo Info { get; }
    public LlamaSettings Settings => _settings;

    private LlamaEngine(SafeLlamaModelHandle model, SafeLLamaContextHandle context, LlamaSettings settings, ModelInfo info, int kvCells)
    {
        _model = model;
        _vocabulary = new LlamaVocabulary(model, ownsModel: false);
        _context = context;
        _settings = settings;
        Info = info;
        _kvCells = kvCells;
        _scratch = new float[2 * info.VocabSize];
        _copy = settings.CopyWeight > 0 ? new CopyMixture(settings.CopyWeight) : null;
    }

    /// <summary>Loads a GGUF model. A missing or non-GGUF file is a <see cref="UserInputException"/>.</summary>
    public static LlamaEngine Load(string path, LlamaSettings? settings = null)
    {
        settings ??= new LlamaSettings();
        var model = LlamaRuntime.LoadModel(path, settings.GpuLayers);

        int trainCtx = model.ContextSize;
        int ctx = settings.ContextLength > 0 ? settings.ContextLength : trainCtx;
        int kvCells = ctx * Math.Max(1, settings.KvContexts);
        // llama.cpp caps a decode at the KV cells and aborts the process when a decode could hold fewer tokens than
        // there are sequences; fewer slots only decode fewer sequences together (same entropies). Two at least: a
        // shared prefix and one sequence.
        int batch = Math.Max(2, Math.Min(settings.BatchSize, kvCells));
        settings = settings with { BatchSize = batch, MaxSequences = Math.Clamp(settings.MaxSequences, 2, batch) };
        SafeLLamaContextHandle context;
        try
        {
            context = LlamaRuntime.CreateContext(model, path, new LlamaContextOptions(kvCells, settings.BatchSize, settings.MicroBatchSize,
                settings.MaxSequences, UnifiedCache: true, settings.Threads, settings.Exact));
        }
        catch
        {
            model.Dispose();
            throw;
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

    public int[] Tokenize(string text) => _vocabulary.Tokenize(text);

    public string Detokenize(ReadOnlySpan<int> tokens) => _vocabulary.Detokenize(tokens);

    public byte[] TokenBytes(int token) => _vocabulary.TokenBytes(token);

    /// <summary>The model's tokenizer (the default training tokenizer of a build).</summary>
    public LlamaVocabulary Vocabulary => _vocabulary;

    /// <summary>Decodes a batch exactly as <see cref="Score"/> would but computes no entropy: the raw engine
    /// throughput the benchmark compares against.</summary>
    internal void DecodeOnly(IReadOnlyList<ScoreGroup> groups, CancellationToken cancellationToken = default) =>
        Run(groups, computeEntropy: false, cancellationToken, null);

    public float[][] Score(IReadOnlyList<ScoreGroup> groups, CancellationToken cancellationToken = default, Action<int>? groupsDone = null) =>
        Run(groups, computeEntropy: true, cancellationToken, groupsDone);

    // A sequence being decoded: its tokens, where they start, and which positions want an entropy (each position p
    // reads the logits after token p-1, so it belongs to the stream holding that token).
    private sealed class Stream(int seq, ReadOnlyMemory<int> tokens, int startPos, int[] positions, int[] slots, float[] results)
    {
        public readonly int Seq = seq;
        public readonly ReadOnlyMemory<int> Tokens = tokens;
        /// <summary>The whole sequence (the group's prefix, then Tokens), which the copy mixture reads.</summary>
        public int[] History = [];
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

    // A group being decoded: its prefix stream (if it has a prefix), the next sequence to admit, and how many of
    // its sequences are still in flight. Its prefix's KV cells are freed when the last sequence finishes.
    private sealed class OpenGroup(int index, int firstFlat, Stream? prefix)
    {
        public readonly int Index = index;
        public readonly int FirstFlat = firstFlat;
        public readonly Stream? Prefix = prefix;
        public int NextSequence;
        public int InFlight;
        public bool PrefixReady => Prefix is null || Prefix.Done;
    }

    private float[][] Run(IReadOnlyList<ScoreGroup> groups, bool computeEntropy, CancellationToken ct, Action<int>? groupsDone)
    {
        var results = new float[groups.Sum(g => g.Sequences.Count)][];
        var firstFlat = new int[groups.Count];
        for (int g = 0, flat = 0; g < groups.Count; g++)
        {
            firstFlat[g] = flat;
            var group = groups[g];
            foreach (var seq in group.Sequences)
            {
                int length = group.Prefix.Length + seq.Tokens.Length;
                if (length > Info.ContextLength)
                    throw new ArgumentException($"a sequence of {length} tokens exceeds the context length {Info.ContextLength}");
                foreach (var p in seq.Positions)
                    if (p < 1 || p >= length) throw new ArgumentException($"position {p} is outside 1..{length - 1}");
                results[flat++] = new float[seq.Positions.Length];
            }
        }

        _context.MemoryClear(true);
        var freeSeqs = new Stack<int>(Enumerable.Range(0, _settings.MaxSequences).Reverse());
        var open = new List<OpenGroup>();
        var active = new List<Stream>(); // in admission order, which is the order batches are filled in
        var owner = new Dictionary<Stream, OpenGroup>();
        int nextGroup = 0, cellsInUse = 0, finished = 0;
        var batch = new LLamaBatch();
        var wanted = new List<(Stream Stream, int Slot, int BatchIndex, int Position)>();

        while (nextGroup < groups.Count || open.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            Admit();
            if (active.Count == 0)
            {
                int before = open.Count;
                Retire(); // groups without sequences close here
                if (open.Count < before) continue;
                throw new InvalidOperationException("a sequence does not fit the KV cache");
            }

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
                    if (logits) wanted.Add((st, st.Slots[st.NextWanted++], bi, pos + 1));
                    st.Next++;
                }
                if (batch.TokenCount >= _settings.BatchSize) break;
            }

            var rc = _context.Decode(batch);
            if (rc != DecodeResult.Ok)
                throw new InvalidOperationException($"llama_decode failed ({rc}) {LlamaRuntime.LastErrors()}".Trim());
            foreach (var (st, slot, bi, position) in wanted)
            {
                var logits = _context.GetLogitsIth(bi);
                st.Results[slot] = !computeEntropy ? logits[0]
                    : _copy is null ? Entropy.FromLogits(logits, _scratch, _settings.Temperature)
                    : _copy.Entropy(logits, st.History.AsSpan(0, position), _scratch, _settings.Temperature);
            }
            Retire();
        }
        return results;

        // Sequences of the oldest open groups first; a new group opens only when every open group has admitted all
        // its sequences, so prefixes can never crowd out the sequences that would free them.
        void Admit()
        {
            while (true)
            {
                foreach (var g in open)
                {
                    var group = groups[g.Index];
                    while (g.PrefixReady && g.NextSequence < group.Sequences.Count)
                    {
                        var sequence = group.Sequences[g.NextSequence];
                        if (freeSeqs.Count == 0 || cellsInUse + sequence.Tokens.Length > _kvCells) return;
                        int id = freeSeqs.Pop();
                        if (g.Prefix is not null) _context.MemorySequenceCopy((LLamaSeqId)g.Prefix.Seq, (LLamaSeqId)id, -1, -1);
                        var stream = Stream.For(id, sequence.Tokens, group.Prefix.Length, sequence.Positions, results[g.FirstFlat + g.NextSequence]);
                        if (_copy is not null) stream.History = [.. group.Prefix.Span, .. sequence.Tokens.Span];
                        if (g.Prefix is not null)
                            for (int i = 0; i < sequence.Positions.Length; i++)
                                if (sequence.Positions[i] <= group.Prefix.Length)
                                    stream.Results[i] = g.Prefix.Results[Array.IndexOf(g.Prefix.Positions, sequence.Positions[i])];
                        active.Add(stream);
                        owner[stream] = g;
                        cellsInUse += sequence.Tokens.Length;
                        g.NextSequence++;
                        g.InFlight++;
                    }
                    if (g.NextSequence < group.Sequences.Count) return;
                }
                if (nextGroup == groups.Count) return;
                var next = groups[nextGroup];
                int longest = next.Sequences.Count == 0 ? 0 : next.Sequences.Max(q => q.Tokens.Length);
                // A group needs a sequence id for its prefix, if it has one, and one for its first sequence.
                if (freeSeqs.Count < (next.Prefix.Length > 0 ? 2 : 1) || cellsInUse + next.Prefix.Length + longest > _kvCells) return;
                Stream? prefix = null;
                if (next.Prefix.Length > 0)
                {
                    // Positions inside the prefix depend on the prefix alone: score them once on its stream.
                    int[] inPrefix = next.Sequences.SelectMany(q => q.Positions).Where(p => p <= next.Prefix.Length).Distinct().Order().ToArray();
                    prefix = Stream.For(freeSeqs.Pop(), next.Prefix, 0, inPrefix, new float[inPrefix.Length]);
                    if (_copy is not null) prefix.History = next.Prefix.ToArray();
                    active.Add(prefix);
                    cellsInUse += next.Prefix.Length;
                }
                var opened = new OpenGroup(nextGroup++, firstFlat[nextGroup - 1], prefix);
                open.Add(opened);
                if (prefix is not null) { owner[prefix] = opened; return; } // its sequences wait for the prefix's batch
            }
        }

        void Retire()
        {
            for (int i = 0; i < active.Count; i++)
            {
                var st = active[i];
                var g = owner[st];
                if (!st.Done || st == g.Prefix) continue;
                Free(st);
                active.RemoveAt(i--);
                g.InFlight--;
            }
            for (int i = 0; i < open.Count; i++)
            {
                var g = open[i];
                if (g.InFlight > 0 || g.NextSequence < groups[g.Index].Sequences.Count || !g.PrefixReady) continue;
                if (g.Prefix is not null) { Free(g.Prefix); active.Remove(g.Prefix); }
                open.RemoveAt(i--);
                groupsDone?.Invoke(++finished);
            }
        }

        void Free(Stream st)
        {
            _context.MemorySequenceRemove((LLamaSeqId)st.Seq, -1, -1);
            freeSeqs.Push(st.Seq);
            cellsInUse -= st.Tokens.Length;
            owner.Remove(st);
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
