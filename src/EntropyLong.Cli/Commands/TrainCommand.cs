using System.ComponentModel;
using System.Runtime.InteropServices;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class TrainSettings : CommandSettings
{
    [CommandOption("--corpus <PATH>"), Description("Training corpus: JSONL with a \"text\" field (and \"id\"), optionally .gz.")]
    public string Corpus { get; init; } = "";
    [CommandOption("--data <BUILD>"), Description("Instead of --corpus: a finished build's output folder (its mds/, or sequences.jsonl re-tokenized), trained with document masking; needs --init or --resume.")]
    public string? Data { get; init; }
    [CommandOption("--out <PATH>"), Description("The GGUF model to write.")]
    public string Out { get; init; } = "";
    [CommandOption("--vocab <N>"), Description("Byte-level BPE vocabulary size, learned from the training documents (default 4096).")]
    [OptionRange(300, 1_000_000)]
    public int? Vocab { get; init; }
    [CommandOption("--dim <N>"), Description("Model width (default 192)."), OptionRange(8, 65_536)] public int? Dim { get; init; }
    [CommandOption("--layers <N>"), Description("Transformer blocks (default 4)."), OptionRange(1, 1024)] public int? Layers { get; init; }
    [CommandOption("--heads <N>"), Description("Attention heads (default 6)."), OptionRange(1, 1024)] public int? Heads { get; init; }
    // Options the checkpoint stores are null when not given, so that --resume can tell a repeated value from a default.
    public const int DefaultVocab = 4096, DefaultDim = 192, DefaultLayers = 4, DefaultHeads = 6;
    [CommandOption("--kv-heads <N>"), Description("Key/value heads (grouped-query attention); default: --heads.")]
    [OptionRange(1, 1024)]
    public int? KvHeads { get; init; }
    [CommandOption("--ffn <N>"), Description("Feed-forward width; default: 8/3 dim rounded up to 32.")]
    [OptionRange(1, 1_000_000)]
    public int? Ffn { get; init; }
    [CommandOption("--ctx <N>"), Description("Context length (training window); default 1024, or with --init the checkpoint's.")]
    [OptionRange(8, OptionLimits.Tokens)]
    public int? Ctx { get; init; }
    public const int DefaultCtx = 1024;
    [CommandOption("--steps <N>"), Description("Optimizer steps (default 1000)."), OptionRange(1, 100_000_000)] public int? Steps { get; init; }
    [CommandOption("--batch <N>"), Description("Sequences per optimizer step (default 8).")]
    [OptionRange(1, 1_000_000)]
    public int? Batch { get; init; }
    [CommandOption("--micro-batch <N>"), Description("Sequences per forward/backward pass (memory; default 1).")]
    [OptionRange(1, 1_000_000)]
    public int? MicroBatch { get; init; }
    [CommandOption("--lr <X>"), Description("Peak learning rate (warm-up, then cosine decay to a tenth; default 2e-3).")]
    [OptionRange(0.0, 10.0, MinExclusive = true)]
    public float? Lr { get; init; }
    [CommandOption("--warmup <N>"), Description("Warm-up steps (default 50)."), OptionRange(0, 100_000_000)] public int? Warmup { get; init; }
    [CommandOption("--weight-decay <X>"), Description("AdamW weight decay (default 0.1)."), OptionRange(0, 10)] public float? WeightDecay { get; init; }
    [CommandOption("--seed <N>"), Description("Seed of the initial weights and data order (default 1)."), OptionRange(0, int.MaxValue)] public int? Seed { get; init; }
    [CommandOption("--threads <N>"), Description("CPU threads; default: all cores.")]
    [OptionRange(0, OptionLimits.Threads)]
    public int Threads { get; init; }
    [CommandOption("--eval-every <N>"), Description("Steps between held-out evaluations (default 100)."), OptionRange(1, 100_000_000)] public int? EvalEvery { get; init; }
    [CommandOption("--eval-windows <N>"), Description("Held-out windows per evaluation (default 32).")]
    [OptionRange(1, 1_000_000)]
    public int? EvalWindows { get; init; }
    [CommandOption("--log-every <N>"), Description("Plain progress line interval when stderr is not a terminal.")]
    [OptionRange(1, 100_000_000)]
    public int LogEvery { get; init; } = 10;
    [CommandOption("--checkpoint <PATH>"), Description("Checkpoint file; default: <out>.ckpt.")]
    public string? Checkpoint { get; init; }
    [CommandOption("--checkpoint-every <N>"), Description("Steps between checkpoints (default 100)."), OptionRange(1, 100_000_000)] public int? CheckpointEvery { get; init; }
    [CommandOption("--init <CHECKPOINT>"), Description("Start a new run (this command's schedule, a fresh optimizer) from the model and vocabulary of a checkpoint, or of a GGUF model `entropylong train` wrote (the shipped default, say); model-shape options other than --ctx and --rope-base are then refused.")]
    public string? Init { get; init; }
    [CommandOption("--resume"), Description("Continue the run saved in the checkpoint (its model and options stand; a different value for one of them is refused).")]
    public bool Resume { get; init; }
    [CommandOption("--repeat-spans <X>"), Description("Fraction of training windows given a span of random tokens written 2-8 times, a signal for learning to copy from context (0-1).")]
    [OptionRange(0, 1)]
    public float? RepeatSpans { get; init; }
    [CommandOption("--stop-after <N>"), Description("Stop after this step (the learning-rate schedule still spans --steps); --resume continues the run where it stopped.")]
    [OptionRange(1, 100_000_000)]
    public int? StopAfter { get; init; }
    [CommandOption("--f16"), Description("Write matrices as F16 (norms stay F32).")]
    public bool F16 { get; init; }
    [CommandOption("--rope-base <X>"), Description("Base of the rotary position embedding (RoPE theta); default 10000, or with --init the checkpoint's. Raise it with --init to extend the context.")]
    [OptionRange(1, 1e12, MinExclusive = true)]
    public double? RopeBase { get; init; }

    public override ValidationResult Validate()
    {
        if (Corpus.Length > 0 && Data is not null) return ValidationResult.Error("--corpus and --data both name training text: give one of them, not both");
        if ((Corpus.Length == 0 && Data is null) || Out.Length == 0) return ValidationResult.Error("--out and one of --corpus or --data are required");
        if (Data is not null && Init is null && !Resume)
            return ValidationResult.Error("--data trains on a build's tokens, which must be an existing model's vocabulary: give --init CHECKPOINT (or --resume)");
        if (Data is not null && RepeatSpans is not (null or 0)) return ValidationResult.Error("--repeat-spans applies to --corpus training only");
        if (RopeBase is not null && Resume) return ValidationResult.Error("--resume continues a run with its rope base; --rope-base applies to a new run");
        if (Resume && Init is not null) return ValidationResult.Error("--resume continues a run; --init starts a new one: use one of them");
        // Refused here, in the options' own terms, not once the corpus is read and the vocabulary learned.
        var defaults = new TrainOptions();
        int batch = Batch ?? defaults.BatchSequences, micro = MicroBatch ?? defaults.MicroBatch;
        if (!Resume && batch % micro != 0) return ValidationResult.Error($"--batch {batch} must be a multiple of --micro-batch {micro}");
        if (Init is null && !Resume && ValidateShape(Dim ?? DefaultDim, Heads ?? DefaultHeads, KvHeads) is { Successful: false } shape) return shape;
        return ValidationResult.Success();
    }

    internal static ValidationResult ValidateShape(int dim, int heads, int? kvHeads) =>
        dim % heads != 0 || dim / heads % 2 != 0 ? ValidationResult.Error($"--dim {dim} must split into --heads {heads} heads of even size")
        : heads % (kvHeads ?? heads) != 0 ? ValidationResult.Error("--heads must be a multiple of --kv-heads")
        : ValidationResult.Success();
}

/// <summary>entropylong train: a small Llama model on CPU through ggml (see docs/trainer.md).</summary>
public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings s, CancellationToken cancellationToken)
    {
        // Plain lines go straight to stderr: a console renderer would wrap them at its width in a log file.
        void Say(string line) => Progress.Say(line);
        var inputs = new[] { s.Corpus, s.Data, s.Init }.OfType<string>().Where(input => input.Length > 0).ToList();
        OutputPath.CheckFile(s.Out, inputs);
        string checkpoint = s.Checkpoint ?? s.Out + ".ckpt";
        // The checkpoint is written as the run goes (with --resume it is the run's own, read first): checked like --out
        // before any step, so it never replaces the corpus, the --init model or the model written at the end.
        string checkpointOption = s.Checkpoint is null ? "the checkpoint (<out>.ckpt)" : "--checkpoint";
        OutputPath.CheckFile(checkpoint, inputs, checkpointOption);
        if (OutputPath.Same(checkpoint, s.Out))
            throw new UsageException($"{checkpointOption} {checkpoint} is the --out model; the model written at the end would replace the checkpoint");
        if (s.Resume) CheckResumable(s, checkpoint);
        List<Document>? documents = null;
        if (s.Data is null)
        {
            documents = ReadCorpus(s.Corpus, Say);
            Say($"corpus: {documents.Count} documents from {s.Corpus}");
        }

        (LlamaConfig Config, BpeVocabulary Vocabulary)? saved = s.Resume || s.Init is not null ? TrainingSession.ReadModel(s.Init ?? checkpoint) : null;
        if (s.Init is not null) CheckInitShape(s, saved!.Value.Config); // before the data is tokenized and the model allocated
        BpeVocabulary vocab;
        if (saved is { } m) vocab = m.Vocabulary;
        else
        {
            var started = DateTime.UtcNow;
            vocab = ByteLevelBpe.Train(documents!.Where(d => !TrainingData.IsHeldOut(d.Id)).Select(d => d.Text), s.Vocab ?? TrainSettings.DefaultVocab);
            Say($"vocabulary: {vocab.Tokens.Length} tokens ({vocab.Merges.Length} merges) in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        }
        TrainingData data;
        using (var tokenizer = LlamaVocabulary.For(vocab))
        {
            if (s.Data is { } build)
            {
                int ctx = s.Resume ? saved!.Value.Config.ContextLength : s.Ctx ?? saved!.Value.Config.ContextLength;
                var (sequences, source) = BuildSequences.Open(build, tokenizer, Say);
                data = TrainingData.FromSequences(sequences, ctx, source: build);
                Say($"data: {data.TrainDocuments + data.HeldOutDocuments} sequences ({data.Spans} packed samples) from {source}, in windows of {ctx + 1} tokens: " +
                    $"{TrainingData.WindowCount(data.Train, ctx + 1)} training, {TrainingData.WindowCount(data.HeldOut, ctx + 1)} held out " +
                    $"({data.HeldOutDocuments} sequences, chosen by a hash of the sequence index); document masking on" +
                    (data.SpansCut > 0 ? $"; {data.SpansCut} samples did not fit one window and were cut across windows (a --ctx of at least the build's --seq-len keeps them whole)" : ""));
            }
            else
            {
                data = TrainingData.Build(documents!, tokenizer, source: s.Corpus);
                Say($"tokens: {data.Train.Length:N0} training ({data.TrainDocuments} documents), {data.HeldOut.Length:N0} held out ({data.HeldOutDocuments} documents)");
            }
        }

        var d = new TrainOptions();
        var options = new TrainOptions
        {
            Steps = s.Steps ?? d.Steps, BatchSequences = s.Batch ?? d.BatchSequences, MicroBatch = s.MicroBatch ?? d.MicroBatch, LearningRate = s.Lr ?? d.LearningRate,
            WarmupSteps = s.Warmup ?? d.WarmupSteps, WeightDecay = s.WeightDecay ?? d.WeightDecay, Seed = s.Seed ?? d.Seed, EvalEvery = s.EvalEvery ?? d.EvalEvery,
            EvalWindows = s.EvalWindows ?? d.EvalWindows, CheckpointEvery = s.CheckpointEvery ?? d.CheckpointEvery, RepeatSpans = s.RepeatSpans ?? d.RepeatSpans,
            VocabularyAsked = saved is null ? s.Vocab ?? TrainSettings.DefaultVocab : null,
        };
        int dim = s.Dim ?? TrainSettings.DefaultDim, heads = s.Heads ?? TrainSettings.DefaultHeads;
        int ffn = s.Ffn ?? (8 * dim / 3 + 31) / 32 * 32;
        using var session = s.Resume ? TrainingSession.Resume(checkpoint, data, s.Threads)
            : s.Init is not null ? TrainingSession.StartFrom(s.Init, data, options, s.Threads, s.Ctx, (float?)s.RopeBase)
            : TrainingSession.Start(new LlamaConfig(vocab.Tokens.Length, dim, s.Layers ?? TrainSettings.DefaultLayers, heads, s.KvHeads ?? heads, ffn, s.Ctx ?? TrainSettings.DefaultCtx,
                (float?)s.RopeBase ?? LlamaConfig.DefaultRopeBase), vocab, data, options, s.Threads);
        var c = session.Config;
        var o = session.Options;
        Say($"model: dim {c.Dim}, {c.Layers} layers, {c.Heads} heads ({c.KvHeads} kv), ffn {c.FfnDim}, ctx {c.ContextLength}, rope base {c.RopeBase:G}, vocab {c.VocabSize}: {c.ParameterCount:N0} parameters; ggml memory {session.MemoryBytes >> 20} MiB");
        Say($"schedule: {o.Steps} steps x {o.BatchSequences} x {c.ContextLength} tokens, lr {o.LearningRate:G3} (warm-up {o.WarmupSteps}, cosine to {o.LearningRate * o.MinLearningRateRatio:G3}), weight decay {o.WeightDecay}, seed {o.Seed}" +
            (o.RepeatSpans > 0 ? $", a repeated random span in {o.RepeatSpans:P0} of windows" : "") +
            (s.Resume ? $"; resuming at step {session.Step} from {checkpoint}" : s.Init is not null ? $"; starting from the weights in {s.Init}" : ""));
        // A step the run has passed cannot be stopped at: said, since the model written is the saved step's, not that one's.
        if (s.StopAfter < session.Step) Say($"note: the run is at step {session.Step}, past --stop-after {s.StopAfter}: no step to train; the model is written as the checkpoint holds it");
        if (!s.Resume) Say($"held-out loss at start: {session.HeldOutLoss():F4}; unigram baseline: {session.HeldOutUnigramLoss():F4}");

        string Line(TrainProgress p) =>
            $"step {p.Step}/{p.Steps} loss {p.Loss:F4} lr {p.LearningRate:E2} gnorm {p.GradNorm:F2} {p.TokensPerSecond:F0} tok/s elapsed {p.Elapsed:hh\\:mm\\:ss} eta {p.Remaining:hh\\:mm\\:ss}" +
            (p.HeldOutLoss is { } e ? $" held-out {e:F4}" : "");
        // A step line every --log-every steps goes to logs; on a terminal, the bar shows every step and held-out lines stay.
        bool terminal = !Console.IsErrorRedirected;
        // SIGTERM (Slurm's scancel, preemption, a time limit) or Ctrl-C stops after the step in progress and checkpoints
        // it, so no finished step is lost. A second Ctrl-C ends the process at once; a second SIGTERM changes nothing,
        // as Slurm and `experiment ablation` may both send one.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int stoppedBy = 0; // the number of the signal that asked for the stop
        void StopAfterStep(PosixSignalContext signal)
        {
            bool first = Interlocked.CompareExchange(ref stoppedBy, signal.Signal == PosixSignal.SIGTERM ? 15 : 2, 0) == 0;
            if (!first && signal.Signal == PosixSignal.SIGINT) return;
            signal.Cancel = true;
            if (!first) return;
            Say($"{signal.Signal}: stopping after the step in progress to write the checkpoint (Ctrl-C again to stop at once)");
            stop.Cancel();
        }
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopAfterStep))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, StopAfterStep))
        {
            try
            {
                Progress.Run(quiet: false, progress => session.Run(checkpoint, p =>
                {
                    progress.Report("training", (double)p.Step / p.Steps, $"step {p.Step}/{p.Steps} loss {p.Loss:F3} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s");
                    if (p.HeldOutLoss is not null || (!terminal && (p.Step % s.LogEvery == 0 || p.Step == p.Steps))) Say(Line(p));
                }, stop.Token, s.StopAfter), lines: false);
            }
            catch (OperationCanceledException) when (stoppedBy != 0)
            {
                Say($"stopped at step {session.Step} of {o.Steps}; checkpoint {checkpoint}; `train --resume` continues the run");
                return 128 + stoppedBy; // the shell's code for a process ended by that signal
            }
        }

        session.SaveGguf(s.Out, s.F16 ? GgmlType.F16 : GgmlType.F32);
        double trainerLoss = session.HeldOutLoss();
        double llamaLoss = session.HeldOutLossInLlamaCpp(s.Out, s.Threads > 0 ? s.Threads : Environment.ProcessorCount);
        Say($"wrote {s.Out} ({new FileInfo(s.Out).Length / 1e6:F1} MB, {(s.F16 ? "F16" : "F32")}); checkpoint {checkpoint}");
        Say($"held-out loss over {session.HeldOutEvalWindows} windows: trainer {trainerLoss:F5}, llama.cpp {llamaLoss:F5} (difference {Math.Abs(trainerLoss - llamaLoss):E2})");
        return 0;
    }

    /// <summary>--resume continues the run as its checkpoint saved it: an option the checkpoint stores (the model's shape,
    /// the schedule, the evaluation and checkpoint intervals) may be repeated, but a changed one would be ignored, so it is
    /// refused. What the checkpoint does not store (--stop-after, --threads, --log-every, --f16, --out) may change.</summary>
    private static void CheckResumable(TrainSettings s, string checkpoint)
    {
        var (c, o) = TrainingSession.ReadRun(checkpoint);
        var changed = Changed(
        [
            .. Shape(s, c, o.VocabularyAsked ?? c.VocabSize), ("--ctx", s.Ctx, c.ContextLength),
            ("--steps", s.Steps, o.Steps), ("--batch", s.Batch, o.BatchSequences), ("--micro-batch", s.MicroBatch, o.MicroBatch),
            ("--lr", s.Lr, o.LearningRate), ("--warmup", s.Warmup, o.WarmupSteps), ("--weight-decay", s.WeightDecay, o.WeightDecay),
            ("--seed", s.Seed, o.Seed), ("--eval-every", s.EvalEvery, o.EvalEvery), ("--eval-windows", s.EvalWindows, o.EvalWindows),
            ("--checkpoint-every", s.CheckpointEvery, o.CheckpointEvery), ("--repeat-spans", s.RepeatSpans, o.RepeatSpans),
        ]);
        if (changed.Count > 0)
            throw new UsageException($"{checkpoint}: --resume continues the run saved there, which has {string.Join(", ", changed)}; leave these options out or give the saved values");
    }

    /// <summary>--init takes the model's shape from its checkpoint (only --ctx and --rope-base may change it): a shape option
    /// that differs would be ignored, so it is refused before any step.</summary>
    private static void CheckInitShape(TrainSettings s, LlamaConfig c)
    {
        var changed = Changed(Shape(s, c, c.VocabSize));
        if (changed.Count > 0)
            throw new UsageException($"{s.Init}: --init starts from this model, which has {string.Join(", ", changed)}; leave these options out (only --ctx and --rope-base change with --init)");
    }

    // The model-shape options beside the model's values (Given null: not on the command line); --vocab beside what the
    // run asked for when it learned its vocabulary.
    private static (string Option, object? Given, object Saved)[] Shape(TrainSettings s, LlamaConfig c, int vocab) =>
    [
        ("--vocab", s.Vocab, vocab), ("--dim", s.Dim, c.Dim), ("--layers", s.Layers, c.Layers), ("--heads", s.Heads, c.Heads),
        ("--kv-heads", s.KvHeads, c.KvHeads), ("--ffn", s.Ffn, c.FfnDim),
    ];

    // "--dim 16 (given 32)" for each option given with another value than the saved one.
    private static List<string> Changed(IEnumerable<(string Option, object? Given, object Saved)> options) =>
        options.Where(x => x.Given is not null && !x.Given.Equals(x.Saved))
            .Select(x => FormattableString.Invariant($"{x.Option} {x.Saved} (given {x.Given})")).ToList();

    /// <summary>The whole corpus in memory (training needs every document's tokens); bad lines are skipped and reported,
    /// a corpus with no document refused.</summary>
    internal static List<Document> ReadCorpus(string path, Action<string> say)
    {
        var reader = new CorpusReader([path]);
        var docs = reader.Read().Select(r => r.Document).ToList();
        if (docs.Count == 0) throw reader.NoDocument(); // before the vocabulary is learned from nothing
        if (reader.Stats.Skipped > 0) say(reader.Stats.Summary());
        return docs;
    }
}
