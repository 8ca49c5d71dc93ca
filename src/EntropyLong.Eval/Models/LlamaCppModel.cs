using System.Numerics.Tensors;
using System.Text;
using EntropyLong.Core;
using EntropyLong.Llm;
using LLama.Native;

namespace EntropyLong.Eval.Models;

/// <summary>Tokenizer of a GGUF model (loaded vocabulary-only when used alone, e.g. beside an HTTP server).</summary>
public sealed class GgufTokenizer(LlamaVocabulary vocabulary, string description) : ITokenizer, IDisposable
{
    /// <summary>Loads only the vocabulary of <paramref name="path"/> (no weights).</summary>
    public static GgufTokenizer LoadVocabulary(string path) => new(LlamaVocabulary.Load(path), $"gguf vocabulary {Path.GetFileName(path)}");

    public string Description { get; } = description;
    public int[] Tokenize(string text) => vocabulary.Tokenize(text);
    public int CountTokens(string text) => vocabulary.Tokenize(text).Length;
    public string Detokenize(ReadOnlySpan<int> tokens) => vocabulary.Detokenize(tokens);
    public void Dispose() => vocabulary.Dispose();
}

/// <summary>
/// A GGUF model run in-process by llama.cpp. Decoding is done here over the raw logits (argmax for greedy,
/// a seeded softmax draw otherwise) rather than by LLamaSharp's executors, so that "greedy" means exactly argmax.
/// The prompt gets the BOS token when the model asks for one, as a serving stack would add it.
/// </summary>
public sealed class LlamaCppModel : ITextModel, IContinuationScorer
{
    private readonly SafeLlamaModelHandle _model;
    private readonly SafeLLamaContextHandle _context;
    private readonly LlamaVocabulary _vocabulary;
    private readonly GgufTokenizer _tokenizer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _batchSize;

    /// <param name="contextLength">Tokens of context to allocate (prompt + generation).</param>
    /// <param name="threads">0: all cores.</param>
    /// <param name="gpuLayers">Layers to offload (only with a GPU backend).</param>
    public LlamaCppModel(string path, int contextLength, int threads = 0, int gpuLayers = 0, int batchSize = 512)
    {
        _model = LlamaRuntime.LoadModel(path, gpuLayers);
        int trained = _model.ContextSize;
        try
        {
            _context = LlamaRuntime.CreateContext(_model, path, new LlamaContextOptions(contextLength, batchSize, batchSize, Threads: threads));
        }
        catch
        {
            _model.Dispose();
            throw;
        }
        _batchSize = batchSize;
        TrainedContextLength = trained;
        Name = Path.GetFileNameWithoutExtension(path);
        ContextLength = contextLength;
        _vocabulary = new LlamaVocabulary(_model, ownsModel: false);
        _tokenizer = new GgufTokenizer(_vocabulary, $"gguf {Path.GetFileName(path)}");
    }

    public string Name { get; }
    public int ContextLength { get; }
    /// <summary>The context the model was trained with (GGUF metadata); a larger one runs, but extrapolates.</summary>
    public int TrainedContextLength { get; }
    public ITokenizer Tokenizer => _tokenizer;
    public int MaxConcurrency => 1;

    public async Task<string> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Generate(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private string Generate(GenerationRequest request, CancellationToken ct)
    {
        var prompt = _vocabulary.TokenizeWithBos(request.Prompt);
        if (prompt.Length + request.MaxNewTokens > ContextLength)
            throw new UserInputException($"prompt of {prompt.Length} tokens + {request.MaxNewTokens} to generate does not fit " +
                                         $"the context of {ContextLength} tokens (raise --context)");
        _context.MemoryClear(true);
        var batch = new LLamaBatch();
        int pos = 0;
        while (pos < prompt.Length)
        {
            ct.ThrowIfCancellationRequested();
            batch.Clear();
            int end = Math.Min(prompt.Length, pos + _batchSize);
            for (int i = pos; i < end; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
            Decode(batch);
            pos = end;
        }
        var sampler = request.Temperature > 0 ? new EvalRandom(request.Seed) : null;
        var bytes = new List<byte>(request.MaxNewTokens * 4);
        int logitIndex = batch.TokenCount - 1;
        for (int produced = 0; produced < request.MaxNewTokens; produced++)
        {
            ct.ThrowIfCancellationRequested();
            var logits = _context.GetLogitsIth(logitIndex);
            int next = sampler is null ? TensorPrimitives.IndexOfMax(logits) : Draw(logits, request.Temperature, sampler);
            if (_vocabulary.IsEndOfGeneration(next)) break;
            _vocabulary.AppendPiece(next, bytes);
            if (request.Stop is { Count: > 0 } stop)
            {
                string sofar = Encoding.UTF8.GetString(bytes.ToArray());
                foreach (var s in stop)
                {
                    int at = s.Length == 0 ? -1 : sofar.IndexOf(s, StringComparison.Ordinal);
                    if (at >= 0) return sofar[..at];
                }
            }
            batch.Clear();
            batch.Add(next, pos++, LLamaSeqId.Zero, true);
            Decode(batch);
            logitIndex = 0;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The shared part of the prompt is decoded once into the KV cache; each continuation is then decoded
    /// after it (from the token before its first scored one) and its cells removed again for the next.</summary>
    public IReadOnlyList<double[]> ContinuationLogProbs(string prompt, IReadOnlyList<string> continuations)
    {
        _gate.Wait();
        try
        {
            var promptTokens = _vocabulary.TokenizeWithBos(prompt);
            var full = continuations.Select(c => _vocabulary.TokenizeWithBos(prompt + c)).ToArray();
            var firstScored = full.Select(f => f.AsSpan().CommonPrefixLength(promptTokens)).ToArray();
            for (int i = 0; i < full.Length; i++)
            {
                if (firstScored[i] == full[i].Length) throw new ArgumentException($"continuation \"{continuations[i]}\" adds no token to the prompt");
                if (firstScored[i] == 0) throw new ArgumentException("a continuation with nothing before it cannot be scored");
                if (full[i].Length > ContextLength)
                    throw new UserInputException($"prompt and continuation of {full[i].Length} tokens do not fit the context of {ContextLength} tokens (raise --context)");
            }
            int shared = full.Length == 0 ? 0 : firstScored.Min() - 1;
            _context.MemoryClear(true);
            var batch = new LLamaBatch();
            if (shared > 0) DecodeRange(batch, full[0], 0, shared, int.MaxValue, null);
            var result = new double[full.Length][];
            var scratch = new float[_vocabulary.Count];
            for (int i = 0; i < full.Length; i++)
            {
                var tokens = full[i];
                var logProbs = result[i] = new double[tokens.Length - firstScored[i]];
                // The logits after token t predict token t+1: wanted from the token before the first scored one.
                DecodeRange(batch, tokens, shared, tokens.Length - 1, firstScored[i] - 1,
                    (t, logits) => logProbs[t + 1 - firstScored[i]] = -Entropy.NegLogLikelihood(logits, tokens[t + 1], scratch));
                _context.MemorySequenceRemove(LLamaSeqId.Zero, shared, -1);
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Decodes tokens[from..to) at their positions on sequence 0, in batches, handing the logits after each token from
    // logitsFrom on to the callback.
    private void DecodeRange(LLamaBatch batch, int[] tokens, int from, int to, int logitsFrom, Action<int, ReadOnlySpan<float>>? logits)
    {
        for (int start = from; start < to; start += _batchSize)
        {
            int end = Math.Min(to, start + _batchSize);
            batch.Clear();
            for (int t = start; t < end; t++) batch.Add(tokens[t], t, LLamaSeqId.Zero, t >= logitsFrom);
            Decode(batch);
            for (int t = Math.Max(start, logitsFrom); t < end; t++) logits!(t, _context.GetLogitsIth(t - start));
        }
    }

    private void Decode(LLamaBatch batch)
    {
        var r = _context.Decode(batch);
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {r} {LlamaRuntime.LastErrors()}");
    }

    /// <summary>One draw from softmax(logits / T).</summary>
    private static int Draw(ReadOnlySpan<float> logits, double temperature, EvalRandom rng)
    {
        float max = TensorPrimitives.Max(logits);
        var p = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < p.Length; i++) total += p[i] = Math.Exp((logits[i] - max) / temperature);
        double u = rng.NextDouble() * total;
        for (int i = 0; i < p.Length; i++)
        {
            u -= p[i];
            if (u < 0) return i;
        }
        return TensorPrimitives.IndexOfMax(logits);
    }

    public void Dispose()
    {
        _context.Dispose();
        _model.Dispose();
        _gate.Dispose();
    }
}
