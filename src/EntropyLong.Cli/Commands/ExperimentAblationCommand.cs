using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Eval.Ablation;
using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using EntropyLong.Pipeline.Tasks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>entropylong experiment ablation: the paper's ablation in miniature. The model that scores the data is the
/// model then trained on it: each arm's data is built from the same corpus, the model is trained further on it with the
/// same steps and seeds, and every trained model is evaluated on tasks and documents it never saw in training.</summary>
public sealed partial class ExperimentAblationCommand : Command<ExperimentAblationCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>"), Description("Experiment folder; a rerun with the same settings goes on where a killed run stopped")]
        public string Out { get; init; } = "";
        [CommandOption("--arms <LIST>"), Description("Kinds of training data: entropylong, retrieval, random, nextlong (default: all four)")]
        public string Arms { get; init; } = "entropylong,retrieval,random,nextlong";
        [CommandOption("--seeds <LIST>"), Description("Training seeds; each arm is trained once per seed (default 1,2)")]
        [OptionRange(0, int.MaxValue)]
        public string Seeds { get; init; } = "1,2";
        [CommandOption("--tokens <N>"), Description("Training tokens per arm and seed (default 600000)")]
        [OptionRange(1, 1e12)]
        public long? Tokens { get; init; }
        [CommandOption("--ctx <N>"), Description("Training window and the longest evaluation length (default 2048)")]
        [OptionRange(64, OptionLimits.Tokens)]
        public int? Ctx { get; init; }
        [CommandOption("--rope-base <X>"), Description("RoPE base for the longer context (default 40000; the default model was trained at 10000 with 1024 tokens)")]
        [OptionRange(1, 1e12, MinExclusive = true)]
        public double RopeBase { get; init; } = 40000;
        [CommandOption("--roots <N>"), Description("Root documents per build, from the corpus's training split (default 1000)")]
        [OptionRange(1, 1e12)]
        public long? Roots { get; init; }
        [CommandOption("--samples <N>"), Description("RULER samples per task and length (default 50)")]
        [OptionRange(1, 1_000_000)]
        public int? Samples { get; init; }
        [CommandOption("--lengths <LIST>"), Description("RULER lengths (default 1024 and --ctx)")]
        [OptionRange(256, OptionLimits.Tokens)]
        public string? Lengths { get; init; }
        [CommandOption("--batch <N>"), Description("Training windows per step (default 8)")]
        [OptionRange(1, 1_000_000)]
        public int? Batch { get; init; }
        [CommandOption("--lr <X>"), Description("Peak learning rate of the continued training (default 5e-4)")]
        [OptionRange(0, 10, MinExclusive = true)]
        public double Lr { get; init; } = 5e-4;
        [CommandOption("--model <GGUF>"), Description("The model that scores the data and is trained on it (default: the shipped default)")]
        public string? Model { get; init; }
        [CommandOption("--corpus <FILES>"), Description("Corpus (default: the sample corpus)")]
        public string[] Corpus { get; init; } = [];
        [CommandOption("--threads <N>"), OptionRange(0, OptionLimits.Threads)]
        public int Threads { get; init; }
        [CommandOption("--build-config <FILE>"), Description("Hyperparameters for every arm's build, as a build --config file (alpha, epsilon, top_k, ...); default: loose settings (alpha 1.0, epsilon 0.2, top_k 8, 4 anchors), since the model, read plainly, places almost no anchor at the paper's")]
        public string? BuildConfig { get; init; }
        [CommandOption("--quick"), Description("Every part in minutes (a smoke test): 40 roots, 1024-token windows (the shortest every RULER task fits), a few steps and samples, one seed")]
        public bool Quick { get; init; }

        public override ValidationResult Validate()
        {
            if (Out.Length == 0) return ValidationResult.Error("--out is required");
            var unknown = ArmList.FirstOrDefault(a => !AllArms.Contains(a));
            if (unknown is not null) return ValidationResult.Error($"--arms: unknown arm '{unknown}' (the arms are {string.Join(", ", AllArms)})");
            if (ArmList.Count == 0) return ValidationResult.Error("--arms needs at least one arm");
            if (ArmList.Intersect(["retrieval", "nextlong"]).Any() && !ArmList.Contains("entropylong"))
                return ValidationResult.Error("--arms: retrieval and nextlong keep as many chunks per document as entropylong: include entropylong");
            return ValidationResult.Success();
        }

        public static readonly string[] AllArms = ["entropylong", "retrieval", "random", "nextlong"];
        public IReadOnlyList<string> ArmList => Arms.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        public IReadOnlyList<int> SeedList => Quick ? [OptionRangeAttribute.WholeNumbers(Seeds)[0]] : OptionRangeAttribute.WholeNumbers(Seeds).Distinct().ToList();
        public int Window => Ctx ?? (Quick ? 1024 : 2048);
        public long TrainingTokens => Tokens ?? (Quick ? 4L * 2 * Window : 600_000);
        public long RootDocuments => Roots ?? (Quick ? 40 : 1000);
        public int SamplesPerTask => Samples ?? (Quick ? 2 : 50);
        public int BatchWindows => Batch ?? (Quick ? 2 : 8);
        public IReadOnlyList<int> LengthList => Lengths is { } l ? OptionRangeAttribute.WholeNumbers(l).Distinct().Order().ToList()
            : Quick || Window <= 1024 ? [Window] : [1024, Window];
    }

    /// <summary>Loose settings: the experiment reads its --model plainly, as the paper reads the model it trains, and
    /// the shipped model read so places almost no anchor at the paper's settings (alpha 2.0, epsilon 0.4, top_k 32);
    /// the entropylong arm would be empty.</summary>
    private static readonly byte[] LooseSettings =
        System.Text.Encoding.UTF8.GetBytes("""{"alpha": 1.0, "epsilon": 0.2, "top_k": 8, "max_anchors_per_document": 4}""" + "\n");

    /// <summary>The RULER tasks with short answers that log-likelihood scoring covers.</summary>
    private const string Tasks = "niah_single_1,niah_multikey_2,niah_multikey_3,vt,cwe,fwe";

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        if (s.LengthList.Any(l => l > s.Window)) throw new UsageException($"--lengths: every length must fit the training window --ctx {s.Window}");
        OutputPath.CheckFolder(s.Out);
        if (s.BuildConfig is not null && !File.Exists(s.BuildConfig)) throw new UserInputException($"{s.BuildConfig}: not found (--build-config)");
        string model = Path.GetFullPath(Defaults.ModelOrDefault(s.Model));
        string[] corpus = (s.Corpus.Length > 0 ? s.Corpus : [Defaults.SampleCorpus]).Select(Path.GetFullPath).ToArray();
        // Every model is evaluated on the held-out split; without it the held-out loss would be an empty mean.
        if (!new CorpusReader(corpus).Read().Any(r => TrainingData.IsHeldOut(r.Document.Id)))
            throw new UserInputException($"{string.Join(", ", corpus)}: no held-out document (SHA-256 of the id in bucket 0 of 20), " +
                                         "and the experiment evaluates on them: give a larger corpus");
        string dir = Path.GetFullPath(s.Out);
        var run = new StageRunner(dir);
        string[] Corpus() => corpus.SelectMany(f => new[] { "--corpus", f }).ToArray();
        string threads = s.Threads.ToString(CultureInfo.InvariantCulture);
        string settingsFile = Path.Combine(dir, "settings.json");
        byte[] settings = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["model"] = model, ["corpus"] = new JsonArray(corpus.Select(f => (JsonNode)f).ToArray()), ["tokens"] = s.TrainingTokens, ["ctx"] = s.Window,
            ["rope-base"] = s.RopeBase, ["batch"] = s.BatchWindows, ["lr"] = s.Lr, ["roots"] = s.RootDocuments, ["samples"] = s.SamplesPerTask,
            ["lengths"] = new JsonArray(s.LengthList.Select(l => (JsonNode)l).ToArray()),
            ["build-config"] = s.BuildConfig is { } config ? ConfigFile.Fields(config) : JsonNode.Parse(LooseSettings),
        }, BuildFolder.Json);
        CheckSettings(settingsFile, settings, run);

        // 1. One index of the whole corpus, the same graph on every run.
        string index = Path.Combine(dir, "index");
        var indexing = new Stage("index", ["index", .. Corpus(), "--out", index, "--hnsw-threads", "1"]);

        // 2. Each arm's data from the training split's first roots, packed to the training window. The baselines keep, per
        //    document, as many chunks as entropylong verified (--match), so the arms differ in which chunks, not how many;
        //    random takes training documents in order until they hold as many tokens as the entropylong build, so every
        //    arm's training run sees about as much distinct text.
        string buildConfig = Path.Combine(dir, "build-config" + (s.BuildConfig is { } file ? Path.GetExtension(file) : ".json"));
        string Build(string arm) => Path.Combine(dir, "builds", arm);
        bool matching = s.ArmList.Contains("entropylong");
        var builds = Settings.AllArms.Where(s.ArmList.Contains).Select(arm => (Arm: arm, Stage: new Stage($"build-{arm}",
        [
            "build", .. Corpus(), "--index", index, "--model", model, "--out", Build(arm), "--method", arm,
            .. (arm != "entropylong" && matching ? new[] { "--match", Build("entropylong") } : []),
            "--split", "train", .. (arm == "random" && matching ? [] : new[] { "--limit", s.RootDocuments.ToString(CultureInfo.InvariantCulture) }),
            "--seq-len", s.Window.ToString(CultureInfo.InvariantCulture), "--threads", threads, "--quiet", "--config", buildConfig,
        ]))).ToList();

        // 3. The model trained further on each arm, once per seed: the same steps, schedule and seed for every arm.
        int steps = (int)Math.Max(1, (s.TrainingTokens + (long)s.BatchWindows * s.Window - 1) / ((long)s.BatchWindows * s.Window));
        var models = new List<(string Arm, int Seed, string Path)> { ("none", 0, model) };
        var trainings = new List<Stage>();
        foreach (string arm in s.ArmList)
            foreach (int seed in s.SeedList)
            {
                string name = $"{arm}-s{seed}", gguf = Path.Combine(dir, "models", name + ".gguf"), checkpoint = Path.Combine(dir, "models", name + ".ckpt");
                // What a resumed run needs again (the checkpoint keeps the model and schedule, not how to write the file).
                string[] common = ["train", "--data", Build(arm), "--out", gguf, "--checkpoint", checkpoint, "--log-every", "10",
                    "--checkpoint-every", "10", "--eval-every", steps.ToString(CultureInfo.InvariantCulture), "--threads", threads, "--f16"];
                trainings.Add(new Stage($"train-{name}",
                    [.. common, "--init", model, "--ctx", s.Window.ToString(CultureInfo.InvariantCulture), "--rope-base", s.RopeBase.ToString("R", CultureInfo.InvariantCulture),
                        "--steps", steps.ToString(CultureInfo.InvariantCulture), "--batch", s.BatchWindows.ToString(CultureInfo.InvariantCulture),
                        "--lr", s.Lr.ToString("R", CultureInfo.InvariantCulture), "--warmup", Math.Max(1, steps / 10).ToString(CultureInfo.InvariantCulture),
                        "--seed", seed.ToString(CultureInfo.InvariantCulture)],
                    checkpoint, [.. common, "--resume"]));
                models.Add((arm, seed, gguf));
            }

        // 4. Every model, and the untrained one for reference, on the same RULER samples and the same held-out documents.
        //    The untrained model is scored at the lengths it was trained for; the longer ones are left empty in its row.
        int baseContext = GgufReader.ReadLlama(model).Config.ContextLength;
        var evals = models.Select(m =>
        {
            var lengths = m.Arm == "none" ? s.LengthList.Where(l => l <= baseContext).ToList() : s.LengthList;
            string name = m.Arm == "none" ? "none" : $"{m.Arm}-s{m.Seed}", eval = Path.Combine(dir, "eval", name);
            return (m.Arm, m.Seed, m.Path, Folder: eval, Stage: lengths.Count == 0 ? null : new Stage($"eval-{name}",
                ["eval", "ruler", "--scoring", "loglik", "--model", m.Path, "--lengths", string.Join(",", lengths), "--tasks", Tasks, "--skip-unfit-tasks",
                    "--samples", s.SamplesPerTask.ToString(CultureInfo.InvariantCulture), "--seed", "1", "--threads", threads, "--out", eval]));
        }).ToList();

        // Every stage is planned before any runs, so a folder whose finished stages ran otherwise is refused up front.
        run.CheckDoneAsPlanned([indexing, .. builds.Select(b => b.Stage), .. trainings, .. evals.Select(e => e.Stage).OfType<Stage>()]);
        // Said once the folder is accepted: a refused rerun prints its error alone.
        Progress.Say($"ablation in {dir}: arms {string.Join(", ", s.ArmList)}; seeds {string.Join(", ", s.SeedList)}; {s.TrainingTokens:N0} training tokens per run " +
                     $"in windows of {s.Window}; RULER (log-likelihood) at {string.Join(", ", s.LengthList)}; model {model}");
        // Recorded once the run is about to use them: a run refused for bad input has not fixed the folder's settings.
        AtomicFile.WriteAllBytes(settingsFile, settings);
        // The build settings every arm shares, kept with the experiment so its folder says how its data was made.
        if (!builds.Any(b => run.IsDone(b.Stage.Name)))
            AtomicFile.WriteAllBytes(buildConfig, s.BuildConfig is { } given ? File.ReadAllBytes(given) : LooseSettings);
        run.Run(indexing);
        foreach (var (arm, stage) in builds)
        {
            run.Run(stage);
            if (!HasSequences(Build(arm)))
                throw new UserInputException($"{Build(arm)}: the {arm} build wrote no sequence (see its stats.json)" + (arm == "entropylong"
                    ? "; a weak scoring model may find no anchor at the paper's settings: loosen them with --build-config (alpha, epsilon, top_k), or score with a stronger --model"
                    : ""));
        }
        Directory.CreateDirectory(Path.Combine(dir, "models"));
        foreach (var stage in trainings) run.Run(stage);
        var results = new List<AblationResult>();
        foreach (var (arm, seed, path, eval, stage) in evals)
        {
            if (stage is not null)
            {
                run.Run(stage);
                results.AddRange(RulerResults(arm, seed, eval));
            }
            results.Add(new AblationResult(arm, seed, AblationTable.HeldOutLoss, s.Window, HeldOutLoss(path, corpus, s.Window, Path.Combine(eval, "heldout.json"), s.Threads)));
        }

        // 5. The table over seeds, as JSON, Markdown and a chart.
        var recorded = new AblationSettings(s.TrainingTokens, steps, s.BatchWindows, s.Window, s.RopeBase, s.RootDocuments, s.SamplesPerTask, model, ConfigFile.Fields(buildConfig),
            s.Lr, corpus);
        WriteTables(dir, new AblationRun(["none", .. s.ArmList], s.SeedList, recorded, results));
        return 0;
    }

    /// <summary>The settings that shape every model's results (<paramref name="given"/>, keyed by option) are recorded in
    /// <paramref name="path"/> before the first stage runs; a rerun in the folder must give the same, else a finished
    /// stage would be taken for one run with them (arms, seeds and --threads may change: a new arm or seed adds stages).</summary>
    private static void CheckSettings(string path, byte[] given, StageRunner run)
    {
        if (!File.Exists(path))
        {
            if (run.AnyDone)
                throw new UserInputException($"{Path.GetDirectoryName(path)}: holds stages of a run that did not record its settings (no settings.json); use a new --out folder");
            return;
        }
        JsonObject saved;
        try
        {
            saved = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: not a settings record ({JsonErrors.Message(e)})", e);
        }
        static string Show(JsonNode? value) => value switch
        {
            null => "unset",
            JsonArray list => string.Join(",", list.Select(Show)),
            JsonValue v when v.TryGetValue(out string? text) => text,
            _ => value.ToJsonString(),
        };
        var changed = JsonNode.Parse(given)!.AsObject().Where(kv => !JsonNode.DeepEquals(saved[kv.Key], kv.Value))
            .Select(kv => $"--{kv.Key} {Show(saved[kv.Key])} (given {Show(kv.Value)})").ToList();
        if (changed.Count > 0)
            throw new UsageException($"{Path.GetDirectoryName(path)}: holds an ablation run with {string.Join(", ", changed)}; " +
                                     "use a new --out folder, or that run's settings to go on with it");
    }

    /// <summary>ablation.json, ablation.md and ablation.png in <paramref name="dir"/>; the table is printed too.</summary>
    internal static void WriteTables(string dir, AblationRun run)
    {
        AtomicFile.WriteAllBytes(Path.Combine(dir, "ablation.json"), JsonSerializer.SerializeToUtf8Bytes(run.ToJson(), BuildFolder.Json));
        var cells = run.Cells();
        var s = run.Settings;
        string table = $"# Ablation in miniature\n\nArms: {string.Join(", ", run.Arms)} (none: the model before continued training). " +
            $"Seeds {string.Join(", ", run.Seeds)}; {s.Steps} steps{(s.Batch is { } b ? $" x {b}" : " of")} windows of {s.Ctx} tokens per run; RoPE base {s.RopeBase:G}; " +
            (s.Lr is { } lr ? $"peak learning rate {lr:G}; " : "") +
            $"{s.Roots:N0} root documents per build; {s.Samples} RULER samples per task and length.\n" +
            "RULER tasks: accuracy (%) of the gold answer's log-likelihood over 4 distractors (chance 20); ruler_average: a model's mean " +
            "accuracy over the tasks; heldout_loss: nats per token " +
            "on the held-out documents. Cells: mean ± half-width of the 95% interval over seeds.\n\n" + AblationTable.Markdown(cells, run.Arms);
        if (run.PairedCells() is { Count: > 0 } paired)
            table += $"## Paired by seed: {run.Reference} minus each arm\n\nA seed's models share the starting model, the training seed and the RULER " +
                     "samples; the interval of the difference over seeds is the one that compares two arms.\n\n" +
                     AblationTable.Markdown(paired, run.Arms.Where(a => a != run.Reference && a != "none").ToList());
        AtomicFile.WriteAllBytes(Path.Combine(dir, "ablation.md"), System.Text.Encoding.UTF8.GetBytes(table));
        Report.AblationChart.Write(Path.Combine(dir, "ablation.png"), cells, run.Arms);
        Console.Write(table);
        Progress.Say($"wrote {Path.Combine(dir, "ablation.md")}, ablation.json and ablation.png");
    }

    // Read through BuildFiles, which names the file when stats.json is missing or damaged.
    private static bool HasSequences(string build) =>
        new Report.BuildFiles(build).ReadJson(BuildFolder.Stats) is { } stats && stats.TryGetProperty("sequences", out var n) && n.GetInt64() > 0;

    /// <summary>Accuracy per task and length from an `eval ruler --scoring loglik` folder's loglik.json.</summary>
    private static IEnumerable<AblationResult> RulerResults(string arm, int seed, string eval)
    {
        string path = Path.Combine(eval, Eval.Ruler.RulerLoglikReport.SummaryFile);
        var root = JsonNode.Parse(File.ReadAllBytes(path)) ?? throw new UserInputException($"{path}: empty");
        foreach (var (label, length) in root["lengths"]!.AsObject())
            foreach (var (task, score) in length!["tasks"]!.AsObject())
                yield return new AblationResult(arm, seed, task, int.Parse(label, CultureInfo.InvariantCulture), score!["accuracy"]!.GetValue<double>());
    }

    /// <summary>Mean next-token loss of <paramref name="model"/> on the corpus's held-out documents, joined (BOS before each)
    /// and cut into windows of <paramref name="window"/> tokens; kept in <paramref name="cache"/> so a rerun reads it back.</summary>
    private static double HeldOutLoss(string model, string[] corpus, int window, string cache, int threads)
    {
        if (File.Exists(cache)) return JsonNode.Parse(File.ReadAllBytes(cache))!["loss"]!.GetValue<double>();
        using var engine = LlamaEngine.Load(model, new LlamaSettings { Threads = threads > 0 ? threads : Environment.ProcessorCount, ContextLength = window, KvContexts = 1, MaxSequences = 2 });
        var stream = new CorpusReader(corpus).Read().Select(r => r.Document).Where(d => TrainingData.IsHeldOut(d.Id))
            .SelectMany(d => engine.TokenizeWithBos(d.Text)).ToArray();
        double sum = 0;
        long count = 0;
        for (int start = 0; start + 2 <= stream.Length; start += window)
        {
            var losses = engine.NegLogLikelihoods(stream.AsSpan(start, Math.Min(window + 1, stream.Length - start)));
            sum += losses.Sum();
            count += losses.Length;
        }
        double loss = sum / Math.Max(1, count);
        AtomicFile.WriteAllBytes(cache, JsonSerializer.SerializeToUtf8Bytes(new { loss, tokens = count, window }));
        return loss;
    }

    /// <summary>A stage: its name (its marker's and log's) and command line, and for a training the shorter line that
    /// goes on from its checkpoint once that is written.</summary>
    private sealed record Stage(string Name, IReadOnlyList<string> Args, string? Checkpoint = null, IReadOnlyList<string>? Resume = null);

    /// <summary>Runs each stage as a child process of this CLI (as a cluster would run it), its output in logs/STAGE.log; a
    /// stage done in an earlier run (its marker in stages/, which holds its command line) is skipped, and one cut short
    /// picks up through the command's own resume.</summary>
    private sealed partial class StageRunner(string dir)
    {
        private const int SigTerm = 15;

        // libc's kill(2): .NET sends a process no signal but SIGKILL, and a kill(1) binary is not on every machine.
        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static partial int SendSignal(int pid, int signal);

        private static void Terminate(int pid)
        {
            if (SendSignal(pid, SigTerm) != 0)
                Progress.Say($"SIGTERM could not be passed on to process {pid} (errno {Marshal.GetLastPInvokeError()})");
        }

        private readonly IReadOnlyList<string> _self = Slurm.SelfCommand();

        private string Marker(string name) => Path.Combine(dir, "stages", name + ".done");

        public bool IsDone(string name) => File.Exists(Marker(name));

        public bool AnyDone => Directory.Exists(Path.Combine(dir, "stages")) && Directory.EnumerateFiles(Path.Combine(dir, "stages"), "*.done").Any();

        /// <summary>Refuses, before any stage runs, a stage done earlier with another command line than this run's (but
        /// for --threads): its output would be taken for what this run asks.</summary>
        public void CheckDoneAsPlanned(IEnumerable<Stage> stages)
        {
            foreach (var stage in stages.Where(st => IsDone(st.Name)))
            {
                string marker = Marker(stage.Name);
                IReadOnlyList<string> earlier;
                try
                {
                    earlier = JsonNode.Parse(File.ReadAllBytes(marker))!["args"]!.AsArray().Select(a => (string)a!).ToList();
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
                {
                    throw new UserInputException($"{JsonErrors.Where(marker, e)}: not a stage marker ({JsonErrors.Message(e)}); use a new --out folder", e);
                }
                if (!WithoutThreads(earlier).SequenceEqual(WithoutThreads(stage.Args)))
                    throw new UsageException($"{marker}: {stage.Name} ran as `{CommandLine(earlier)}`, this run would run it as `{CommandLine(stage.Args)}`; " +
                                             "use a new --out folder, or that run's arms and settings to go on with it");
            }
        }

        private static IEnumerable<string> WithoutThreads(IReadOnlyList<string> args) =>
            args.Where((a, i) => a != "--threads" && (i == 0 || args[i - 1] != "--threads"));

        private static string CommandLine(IEnumerable<string> args) => string.Join(' ', args.Select(Slurm.Quote));

        public void Run(Stage stage)
        {
            string name = stage.Name, marker = Marker(name), log = Path.Combine(dir, "logs", name + ".log");
            if (IsDone(name)) { Progress.Say($"{name}: done earlier"); return; }
            var args = stage.Checkpoint is { } checkpoint && File.Exists(checkpoint) ? stage.Resume! : stage.Args;
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            Directory.CreateDirectory(Path.GetDirectoryName(log)!);
            Progress.Say($"{name}: {CommandLine(args)}");
            var clock = Stopwatch.StartNew();
            var psi = new ProcessStartInfo(_self[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in _self.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
            using var output = new StreamWriter(log, append: true) { AutoFlush = true }; // the log can be followed as it grows
            using var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.WriteLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.WriteLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            // SIGTERM sent to this process alone is passed on, and the stage (a training writes its checkpoint) waited
            // for; Ctrl-C reaches the stage from the terminal itself.
            bool terminated = false;
            using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
                   {
                       signal.Cancel = true;
                       if (terminated) return;
                       terminated = true;
                       Progress.Say($"SIGTERM: passed on to {name}; waiting for it to stop");
                       Terminate(p.Id);
                   }))
                p.WaitForExit();
            if (terminated) throw new StoppedException($"{name} stopped by SIGTERM; rerun the same command to go on from here", 143);
            if (p.ExitCode != 0)
                throw new UserInputException($"{name} failed (exit {p.ExitCode}); see {log}; rerun the same command to go on from here");
            AtomicFile.WriteAllBytes(marker, JsonSerializer.SerializeToUtf8Bytes(
                new { args = stage.Args, finished = DateTime.UtcNow, seconds = Math.Round(clock.Elapsed.TotalSeconds) }, BuildFolder.Json));
            Progress.Say($"{name}: done in {clock.Elapsed:hh\\:mm\\:ss}");
        }
    }
}
