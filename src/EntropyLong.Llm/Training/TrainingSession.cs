using EntropyLong.Data;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Llm.Training;

/// <summary>How to train. Steps count optimizer updates; each update sees <see cref="BatchSequences"/> windows of
/// ContextLength+1 tokens, <see cref="MicroBatch"/> of them per forward/backward pass.</summary>
public sealed record TrainOptions
{
    public int Steps { get; init; } = 1000;
    public int BatchSequences { get; init; } = 8;
    public int MicroBatch { get; init; } = 1;
    public float LearningRate { get; init; } = 2e-3f;
    /// <summary>The cosine schedule ends at LearningRate * this.</summary>
    public float MinLearningRateRatio { get; init; } = 0.1f;
    public int WarmupSteps { get; init; } = 50;
    public float WeightDecay { get; init; } = 0.1f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;
    public float Epsilon { get; init; } = 1e-8f;
    /// <summary>Global gradient-norm clip (0: none).</summary>
    public float GradClip { get; init; } = 1f;
    public int Seed { get; init; } = 1;
    public int EvalEvery { get; init; } = 100;
    /// <summary>Held-out windows in each evaluation (all, if fewer).</summary>
    public int EvalWindows { get; init; } = 32;
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>The vocabulary size asked for when this run learned its vocabulary (null when it came with a model): a
    /// small corpus runs out of merges before that size, so the model's vocabulary size alone does not say what was asked.</summary>
    public int? VocabularyAsked { get; init; }
    /// <summary>Fraction of training windows given a repeated random span (<see cref="TrainingData.RepeatSpan"/>); 0: none.</summary>
    public float RepeatSpans { get; init; }

    /// <summary>Linear warm-up to <see cref="LearningRate"/>, then cosine decay to its minimum at the last step.</summary>
    public float LearningRateAt(int step)
    {
        if (step <= WarmupSteps) return LearningRate * step / Math.Max(1, WarmupSteps);
        double progress = Math.Min(1, (double)(step - WarmupSteps) / Math.Max(1, Steps - WarmupSteps));
        double min = LearningRate * MinLearningRateRatio;
        return (float)(min + 0.5 * (LearningRate - min) * (1 + Math.Cos(Math.PI * progress)));
    }

    public void Validate()
    {
        if (Steps < 1 || BatchSequences < 1 || MicroBatch < 1 || BatchSequences % MicroBatch != 0)
            throw new UserInputException("steps and batch must be positive, and the batch a multiple of the micro-batch");
        if (!(LearningRate > 0) || WarmupSteps < 0 || EvalEvery < 1 || EvalWindows < 1 || CheckpointEvery < 1)
            throw new UserInputException("the learning rate, eval and checkpoint intervals must be positive and warm-up not negative");
        if (!(RepeatSpans >= 0 && RepeatSpans <= 1)) throw new UserInputException("the repeated-span fraction must be between 0 and 1");
    }
}

/// <summary>What one step (or evaluation) reports.</summary>
public sealed record TrainProgress(int Step, int Steps, float Loss, float LearningRate, double GradNorm, double TokensPerSecond,
    TimeSpan Elapsed, TimeSpan Remaining, float? HeldOutLoss);

/// <summary>A training run: model, data, optimizer state and schedule; checkpoints to a file and resumes from it
/// with the same result as an uninterrupted run (the data order follows from the seed and the step).</summary>
public sealed class TrainingSession : IDisposable
{
    private const string Magic = "ELTRAIN1";
    private readonly LlamaTrainer _trainer;
    private readonly TrainingData _data;

    public LlamaConfig Config { get; }
    public BpeVocabulary Vocabulary { get; }
    public TrainOptions Options { get; }
    /// <summary>Optimizer steps done.</summary>
    public int Step { get; private set; }
    public long TokensTrained { get; private set; }
    public long MemoryBytes => _trainer.MemoryBytes;

    private TrainingSession(LlamaConfig config, BpeVocabulary vocabulary, TrainingData data, TrainOptions options, int threads)
    {
        options.Validate();
        int window = config.ContextLength + 1;
        if (data.WindowLength is { } cutFor && cutFor != window)
            throw new ArgumentException($"the sequences were cut into windows of {cutFor} tokens, the model trains on {window}");
        if (Masked(data) && options.RepeatSpans > 0)
            throw new UserInputException("repeated random spans apply to corpus training, not to a build's sequences (document masking)");
        string parts = Masked(data) ? "sequences" : "documents";
        string source = data.Source is { } from ? from + ": " : "";
        if (TrainingData.WindowCount(data.Train, window) < options.BatchSequences)
            throw new UserInputException($"{source}the training {parts} hold {data.Train.Length} tokens: fewer than one batch of {options.BatchSequences} x {window}");
        if (TrainingData.WindowCount(data.HeldOut, window) < options.MicroBatch)
            throw new UserInputException($"{source}the held-out {parts} ({data.HeldOutDocuments}) hold {data.HeldOut.Length} tokens: fewer than {options.MicroBatch} window(s) of {window}; " +
                                         (Masked(data) ? "the build has too few sequences (about 1 in 20 is held out)" : "use a larger corpus or a shorter context"));
        Config = config;
        Vocabulary = vocabulary;
        Options = options;
        _data = data;
        _trainer = new LlamaTrainer(config, options.MicroBatch, threads, documentMasking: Masked(data));
    }

    private static bool Masked(TrainingData data) => data.TrainSegments is not null;

    public static TrainingSession Start(LlamaConfig config, BpeVocabulary vocabulary, TrainingData data, TrainOptions options, int threads)
    {
        var s = new TrainingSession(config, vocabulary, data, options, threads);
        s._trainer.SetWeights(LlamaTrainer.Initialize(config, vocabulary, options.Seed));
        return s;
    }

    private sealed record Header(LlamaConfig Config, BpeVocabulary Vocabulary, TrainOptions Options, int Step, long TokensTrained, long TrainTokens, ulong TrainHash);

    /// <summary>Reads the model configuration and vocabulary of a checkpoint (to prepare the data before
    /// <see cref="Resume"/> or <see cref="StartFrom"/>).</summary>
    /// <summary>The model and vocabulary of a checkpoint, or of a GGUF model this project wrote.</summary>
    public static (LlamaConfig Config, BpeVocabulary Vocabulary) ReadModel(string checkpoint)
    {
        if (GgufFile.IsGguf(checkpoint))
        {
            var m = GgufReader.ReadLlama(checkpoint);
            return (m.Config, m.Vocabulary);
        }
        var h = ReadHeader(checkpoint).Header;
        return (h.Config, h.Vocabulary);
    }

    /// <summary>The model configuration and options of the run saved in a checkpoint: what <see cref="Resume"/> continues.</summary>
    public static (LlamaConfig Config, TrainOptions Options) ReadRun(string checkpoint)
    {
        var h = ReadHeader(checkpoint).Header;
        return (h.Config, h.Options);
    }

    /// <summary>Continues the run saved in <paramref name="checkpoint"/> with its model, vocabulary and options.</summary>
    public static TrainingSession Resume(string checkpoint, TrainingData data, int threads) => Load(checkpoint, data, null, threads);

    /// <summary>A new run of <paramref name="options"/> (step 0, a fresh optimizer) from the model and vocabulary saved
    /// in <paramref name="checkpoint"/>, or in a GGUF model written by <see cref="LlamaModel.SaveGguf"/> (F16 weights
    /// taken as they are in the file): to continue training a model with another schedule or data mix, or another
    /// <paramref name="contextLength"/> (RoPE has no learned positions, so the weights carry over to any window), or
    /// another <paramref name="ropeBase"/> (raised for context extension, as the paper raises RoPE theta).</summary>
    public static TrainingSession StartFrom(string checkpoint, TrainingData data, TrainOptions options, int threads, int? contextLength = null, float? ropeBase = null)
    {
        if (!GgufFile.IsGguf(checkpoint)) return Load(checkpoint, data, options, threads, contextLength, ropeBase);
        var model = GgufReader.ReadLlama(checkpoint);
        var s = new TrainingSession(model.Config with { ContextLength = contextLength ?? model.Config.ContextLength, RopeBase = ropeBase ?? model.Config.RopeBase },
            model.Vocabulary, data, options, threads);
        s._trainer.SetWeights(model with { Config = s.Config });
        return s;
    }

    // With options: a new run from the checkpoint's weights; without: the saved run itself, optimizer and step included.
    private static TrainingSession Load(string checkpoint, TrainingData data, TrainOptions? newRun, int threads, int? contextLength = null, float? ropeBase = null)
    {
        var (h, offset) = ReadHeader(checkpoint);
        if (newRun is null && (h.TrainTokens != data.Train.Length || h.TrainHash != Hash(data)))
            throw new UserInputException($"{checkpoint}: the {(Masked(data) ? "build's sequences differ" : "corpus differs")} from the one this checkpoint was trained on");
        var s = newRun is null
            ? new TrainingSession(h.Config, h.Vocabulary, data, h.Options, threads) { Step = h.Step, TokensTrained = h.TokensTrained }
            : new TrainingSession(h.Config with { ContextLength = contextLength ?? h.Config.ContextLength, RopeBase = ropeBase ?? h.Config.RopeBase },
                h.Vocabulary, data, newRun, threads);
        using var stream = File.OpenRead(checkpoint);
        stream.Position = offset;
        using var r = new BinaryReader(stream);
        try
        {
            s._trainer.LoadState(r);
        }
        catch (EndOfStreamException e)
        {
            s.Dispose();
            throw new UserInputException($"{checkpoint}: the checkpoint ends inside its weights (cut short); use an earlier or complete checkpoint", e);
        }
        if (newRun is not null) s._trainer.ResetOptimizer();
        return s;
    }

    private static (Header Header, long Offset) ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: checkpoint not found");
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream);
        try
        {
            if (Encoding.ASCII.GetString(r.ReadBytes(8)) != Magic) throw new UserInputException($"{path}: not an entropylong training checkpoint");
            int length = r.ReadInt32();
            var header = JsonSerializer.Deserialize<Header>(r.ReadBytes(length)) ?? throw new UserInputException($"{path}: empty checkpoint header");
            return (header, stream.Position);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new UserInputException($"{path}: damaged checkpoint ({JsonErrors.Message(e)})", e); // a binary file: no line
        }
    }

    /// <summary>Writes weights, Adam moments, step and schedule to <paramref name="path"/> atomically.</summary>
    public void SaveCheckpoint(string path)
    {
        using var file = new AtomicFile(path);
        using (var w = new BinaryWriter(file.Stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            var json = JsonSerializer.SerializeToUtf8Bytes(new Header(Config, Vocabulary, Options, Step, TokensTrained, _data.Train.Length, Hash(_data)));
            w.Write(json.Length);
            w.Write(json);
            _trainer.SaveState(w);
            w.Flush();
        }
        file.Commit();
    }

    // FNV-1a over the training tokens, then (from a build) their segments, which decide masking as much as the tokens.
    private static ulong Hash(TrainingData data)
    {
        ulong h = 14695981039346656037;
        foreach (int t in data.Train) { h ^= (uint)t; h *= 1099511628211; }
        foreach (int t in data.TrainSegments ?? []) { h ^= (uint)t; h *= 1099511628211; }
        return h;
    }

    private int HeldOutEvalBatches =>
        Math.Max(1, Math.Min(Options.EvalWindows, TrainingData.WindowCount(_data.HeldOut, Config.ContextLength + 1)) / Options.MicroBatch);

    /// <summary>Held-out windows in each evaluation.</summary>
    public int HeldOutEvalWindows => HeldOutEvalBatches * Options.MicroBatch;

    private ReadOnlySpan<int> HeldOutSegments(int from, int length) => Masked(_data) ? _data.HeldOutSegments.AsSpan(from, length) : default;

    /// <summary>Mean next-token loss over the first <see cref="TrainOptions.EvalWindows"/> held-out windows
    /// (rounded down to whole micro-batches); from a build, over the positions that count under document masking.</summary>
    public double HeldOutLoss()
    {
        int mb = Options.MicroBatch, window = Config.ContextLength + 1, batches = HeldOutEvalBatches;
        double sum = 0, weight = 0;
        for (int b = 0; b < batches; b++)
        {
            int from = b * mb * window;
            // Each batch's mean weighs by its counted positions, so the result is the mean over all of them.
            double counted = 1;
            if (Masked(_data))
            {
                counted = 0;
                for (int w = 0; w < mb; w++) counted += LlamaTrainer.CountedPositions(HeldOutSegments(from + w * window, window));
            }
            sum += counted * _trainer.Loss(_data.HeldOut.AsSpan(from, mb * window), HeldOutSegments(from, mb * window));
            weight += counted;
        }
        return sum / weight;
    }

    /// <summary>The held-out windows <see cref="HeldOutLoss"/> averages over, to score them elsewhere (llama.cpp), each
    /// as the token runs that are scored on their own: the whole window, or from a build each span's part of it
    /// (padding left out), since under document masking a span sees nothing of the others.</summary>
    private IEnumerable<int[]> HeldOutRuns()
    {
        int window = Config.ContextLength + 1;
        for (int i = 0; i < HeldOutEvalWindows; i++)
        {
            var tokens = TrainingData.Window(_data.HeldOut, window, i).ToArray();
            if (!Masked(_data)) yield return tokens;
            else foreach (var run in TrainingData.SegmentRuns(tokens, TrainingData.Window(_data.HeldOutSegments!, window, i))) yield return run;
        }
    }

    /// <summary>The baseline a model must beat: the held-out loss of the training tokens' unigram distribution
    /// (add-one smoothed), over the positions <see cref="HeldOutLoss"/> uses.</summary>
    public double HeldOutUnigramLoss()
    {
        var counts = new long[Config.VocabSize];
        for (int i = 0; i < _data.Train.Length; i++)
            if (_data.TrainSegments is not { } seg || seg[i] >= 0) counts[_data.Train[i]]++;
        double total = counts.Sum() + Config.VocabSize, sum = 0;
        long n = 0;
        foreach (var w in HeldOutRuns())
            for (int i = 1; i < w.Length; i++) { sum -= Math.Log((counts[w[i]] + 1) / total); n++; }
        return sum / n;
    }

    /// <summary>The same held-out loss computed by llama.cpp from a saved GGUF (F32 KV cache, no flash attention). From
    /// a build, every span's part of a window is decoded alone from position 0: under document masking the trainer's
    /// loss depends only on distances within a span, which RoPE keeps.</summary>
    public double HeldOutLossInLlamaCpp(string gguf, int threads)
    {
        using var engine = LlamaEngine.Load(gguf, new LlamaSettings { Exact = true, Threads = threads, ContextLength = Config.ContextLength, KvContexts = 1, MaxSequences = 1 });
        double sum = 0;
        long count = 0;
        foreach (var w in HeldOutRuns())
            foreach (var nll in engine.NegLogLikelihoods(w)) { sum += nll; count++; }
        return sum / count;
    }

    /// <summary>Trains to the last step of the schedule, or only to <paramref name="stopAfter"/> (the schedule still spans
    /// every step, so a run stopped there and resumed is the uninterrupted run), evaluating every EvalEvery steps and
    /// checkpointing every CheckpointEvery steps and at the end when <paramref name="checkpoint"/> is given. Cancelled,
    /// it finishes the step in progress, checkpoints it and throws <see cref="OperationCanceledException"/>.</summary>
    public void Run(string? checkpoint, Action<TrainProgress> report, CancellationToken ct = default, int? stopAfter = null)
    {
        int last = Math.Min(Options.Steps, stopAfter ?? Options.Steps);
        var o = Options;
        int window = Config.ContextLength + 1;
        int windows = TrainingData.WindowCount(_data.Train, window);
        int micro = o.BatchSequences / o.MicroBatch;
        var batch = new int[o.MicroBatch * window];
        var segments = Masked(_data) ? new int[o.MicroBatch * window] : null;
        int[]? order = null;
        int orderEpoch = -1;
        int WindowAt(long global)
        {
            int epoch = (int)(global / windows);
            if (epoch != orderEpoch) { order = TrainingData.EpochOrder(windows, o.Seed, epoch); orderEpoch = epoch; }
            return order![(int)(global % windows)];
        }
        var clock = Stopwatch.StartNew();
        long tokensAtStart = TokensTrained;
        int stepAtStart = Step;
        int saved = Step;
        while (Step < last)
        {
            if (ct.IsCancellationRequested)
            {
                // Stopped between steps: every finished step is kept, so --resume loses none of them.
                if (checkpoint is not null && Step != saved) SaveCheckpoint(checkpoint);
                ct.ThrowIfCancellationRequested();
            }
            int step = Step + 1;
            _trainer.ZeroGradients();
            double loss = 0;
            // Under document masking the step's loss is the mean over all its counted positions: each micro-batch's
            // gradient weighs by its share of them (micro * counted / total, as the accumulated sum is divided by micro).
            long first = (long)Step * o.BatchSequences;
            double stepCounted = 0;
            if (segments is not null)
                for (int w = 0; w < o.BatchSequences; w++)
                    stepCounted += LlamaTrainer.CountedPositions(TrainingData.Window(_data.TrainSegments!, window, WindowAt(first + w)));
            for (int m = 0; m < micro; m++)
            {
                double counted = 0;
                for (int s = 0; s < o.MicroBatch; s++)
                {
                    long global = first + m * o.MicroBatch + s;
                    int index = WindowAt(global);
                    var slot = batch.AsSpan(s * window, window);
                    TrainingData.Window(_data.Train, window, index).CopyTo(slot);
                    if (segments is not null)
                    {
                        var segmentSlot = segments.AsSpan(s * window, window);
                        TrainingData.Window(_data.TrainSegments!, window, index).CopyTo(segmentSlot);
                        counted += LlamaTrainer.CountedPositions(segmentSlot);
                    }
                    if (o.RepeatSpans > 0)
                    {
                        var rng = TrainingData.WindowRandom(o.Seed, global);
                        if (rng.NextSingle() < o.RepeatSpans) TrainingData.RepeatSpan(slot, _data.Train, rng);
                    }
                }
                if (segments is null) loss += _trainer.AccumulateGradients(batch);
                else
                {
                    double share = counted / stepCounted;
                    loss += micro * share * _trainer.AccumulateGradients(batch, segments, (float)(micro * share));
                }
            }
            double norm = _trainer.ScaleAndClipGradients(1f / micro, o.GradClip);
            float lr = o.LearningRateAt(step);
            _trainer.AdamW(step, lr, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
            Step = step;
            TokensTrained += (long)o.BatchSequences * Config.ContextLength;

            float? eval = Step % o.EvalEvery == 0 || Step == last ? (float)HeldOutLoss() : null;
            double seconds = clock.Elapsed.TotalSeconds;
            double rate = (TokensTrained - tokensAtStart) / Math.Max(seconds, 1e-9);
            var remaining = TimeSpan.FromSeconds(seconds / (Step - stepAtStart) * (last - Step));
            report(new TrainProgress(Step, o.Steps, (float)(loss / micro), lr, norm, rate, clock.Elapsed, remaining, eval));
            if (checkpoint is not null && (Step % o.CheckpointEvery == 0 || Step == last)) { SaveCheckpoint(checkpoint); saved = Step; }
        }
    }

    public LlamaModel Model() => _trainer.GetWeights(Vocabulary);

    /// <summary>Writes the model as GGUF. With F16, the trainer's weights are first rounded to what the file will hold,
    /// so a later <see cref="HeldOutLoss"/> is the loss of the saved model (call this after the last step).</summary>
    public void SaveGguf(string path, GgmlType type)
    {
        var model = Model();
        if (type == GgmlType.F16)
        {
            foreach (var t in model.Tensors().Where(t => !t.IsNorm))
                for (int i = 0; i < t.Data.Length; i++) t.Data[i] = (float)(Half)t.Data[i];
            _trainer.SetWeights(model);
        }
        model.SaveGguf(path, type);
    }

    public void Dispose() => _trainer.Dispose();
}
