using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Pipeline;
using EntropyLong.Pipeline.Tasks;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BuildCommand : Command<BuildCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandOption("--corpus <FILES>"), Description("Root documents: JSONL (.gz/.zst) or Parquet files, folders or globs (default: the sample corpus)")]
        public string[] Corpus { get; init; } = [];
        [CommandOption("--index <DIR>"), Description("Retrieval index made by `entropylong index`")]
        public string Index { get; init; } = "";
        [CommandOption("--out <DIR>"), Description("Output folder")]
        public string Out { get; init; } = "out/build";
        [CommandOption("--config <FILE>"), Description("JSON or YAML file with any of the hyperparameters below (snake_case keys); flags win")]
        public string? Config { get; init; }
        [CommandOption("--alpha <A>"), Description("Anchor threshold: H > mean + alpha*std (2.0)")]
        [OptionRange(0, 100)]
        public double? Alpha { get; init; }
        [CommandOption("--epsilon <E>"), Description("Keep a chunk when (H - H')/H > epsilon (0.4)")]
        [OptionRange(0.0, 1.0, MaxExclusive = true)]
        public double? Epsilon { get; init; }
        [CommandOption("--window <W>"), Description("Query window: w tokens either side of the anchor (16)")]
        [OptionRange(0, 65_536)]
        public int? Window { get; init; }
        [CommandOption("--top-k <K>"), Description("Candidates per anchor (32, the paper's; 8 for the default scorer)")]
        [OptionRange(1, OptionLimits.Candidates)]
        public int? TopK { get; init; }
        [CommandOption("--max-anchors <N>"), Description("Optional cap on anchors per document (off)")]
        [OptionRange(1, 1_000_000)]
        public int? MaxAnchors { get; init; }
        [CommandOption("--max-chunks-per-anchor <N>"), Description("Beyond the paper: of an anchor's candidates that pass verification keep the N ranked highest by retrieval; the others are marked \"capped\" in details.jsonl (default: 0, no cap, the paper's, for a --model you name; 1 for the shipped default scorer)")]
        [OptionRange(0, OptionLimits.Candidates)]
        public int? MaxChunksPerAnchor { get; init; }
        [CommandOption("--min-document-gain <X>"), Description("Beyond the paper: a chunk that passes verification stays kept only if, placed before the document, it also removes more than this share of the entropy of the document's tokens outside its anchors (off; 0-1); marked \"below_document_gain\" in details.jsonl")]
        [OptionRange(0.0, 1.0, MaxExclusive = true)]
        public double? MinDocumentGain { get; init; }
        [CommandOption("--skip-first <N>"), Description("Beyond the paper: no anchors among a document's first N scorer tokens, predicted with little context (0)")]
        [OptionRange(0, OptionLimits.Tokens)]
        public int? SkipFirst { get; init; }
        [CommandOption("--word-entropy"), Description("Beyond the paper: anchors are words, each with the sum of its tokens' entropies, judged by that sum (off for a --model you name; on for the shipped default scorer)")]
        public bool WordEntropy { get; init; }
        [CommandOption("--seq-len <N>"), Description("Target sequence length in training-tokenizer tokens (131072)")]
        [OptionRange(16, OptionLimits.Tokens)]
        public int? SeqLen { get; init; }
        [CommandOption("--order <ORDER>"), Description("shuffle (default) or anchor")]
        public string? Order { get; init; }
        [CommandOption("--seed <N>"), Description("Run seed (42)")]
        [OptionRange(0, ulong.MaxValue)]
        public ulong? Seed { get; init; }
        [CommandOption("--separator <TEXT>"), Description("Text joining contexts and document (a blank line)")]
        public string? Separator { get; init; }
        [CommandOption("--near-duplicate <J>"), Description("Beyond the paper: do not judge candidates whose estimated Jaccard similarity with the document (word 5-gram shingles, MinHash) is at least J (0.5; 0 turns the guard off)")]
        [OptionRange(0.0, 1.0)]
        public double? NearDuplicate { get; init; }
        [CommandOption("--hard-negatives <N>"), Description("Beyond the paper: add per document up to N judged chunks that failed verification, shuffled among the verified contexts and marked \"negative\" (0)")]
        [OptionRange(0, 1000)]
        public int? HardNegatives { get; init; }
        [CommandOption("--decontaminate <FILES>"), Description("Beyond the paper: evaluation data (repeat for more): JSON lines or JSON files (.jsonl, .ndjson, .json, optionally .gz/.zst) whose records give \"text\", \"input\" or \"context\" strings (RULER and LongBench-v2 files as `eval` reads and writes them), Parquet files with string columns of those names, any other file as UTF-8 text (a binary file is refused), or folders of them: drop documents and chunks that share a word 13-gram with it")]
        public string[] Decontaminate { get; init; } = [];
        [CommandOption("--keep-unverified"), Description("Emit documents with no verified chunk too (dropped and counted by default)")]
        public bool KeepUnverified { get; init; }
        [CommandOption("--tokenizer <GGUF>"), Description("Training model's tokenizer: a GGUF (vocabulary only is loaded) or a Hugging Face tokenizer.json (byte-level BPE); default: the scorer's")]
        public string? Tokenizer { get; init; }
        [CommandOption("--naive"), Description("Judge every (anchor, candidate) pair with its own pass (the test oracle)")]
        public bool Naive { get; init; }
        [CommandOption("--block <N>"), Description("Documents per block whose pairs are grouped by chunk (256)")]
        [OptionRange(1, 1_000_000)]
        public int Block { get; init; } = 256;
        [CommandOption("--shard-size <BYTES>"), Description("MDS shard size limit (67108864)")]
        [OptionRange(1, uint.MaxValue)]
        public long ShardSize { get; init; } = 1 << 26;
        [CommandOption("--sequences <NAME>"), Description("sequences.jsonl, .jsonl.gz or .jsonl.zst")]
        public string Sequences { get; init; } = "sequences.jsonl";
        [CommandOption("--format <FORMATS>"), Description("Token formats for trainers, comma-separated: mds (MosaicML streaming, what ProLong reads) and parquet (Hugging Face datasets and others); default mds. sequences.jsonl is always written")]
        public string Format { get; init; } = "mds";
        [CommandOption("--position-weights"), Description("Add the position_weighted column (1 at each kept context's anchor token, 0 elsewhere) that the authors' ProLong fork reads as loss weights; see recipes/prolong/README.md for what the fork does with it")]
        public bool PositionWeights { get; init; }
        [CommandOption("--no-details"), Description("Do not write details.jsonl (per-token entropy, anchors, every candidate: what `entropylong report` shows)")]
        public bool NoDetails { get; init; }
        [CommandOption("--exact-search"), Description("Brute-force search instead of HNSW")]
        public bool ExactSearch { get; init; }
        [CommandOption("--limit <N>"), Description("Use only the first N root documents of the corpus (all of it still serves retrieval through the index)")]
        [OptionRange(1, 1_000_000_000_000)]
        public long? Limit { get; init; }
        [CommandOption("--split <SPLIT>"), Description("Root documents: all (default), held-out (only those `entropylong train` holds out: SHA-256 of the id, bucket 0 of 20, text a model trained on this corpus has not seen) or train (the others; their contexts then come from the others too, so no held-out text is trained on). With all and held-out retrieval covers the whole index")]
        public string Split { get; init; } = "all";
        [CommandOption("--quiet")]
        public bool Quiet { get; init; }
        [CommandOption("--shards <N>"), Description("Split the corpus into N shards built as independent, resumable tasks (out/tasks/build-NNNN/), then merged in shard order")]
        [OptionRange(1, OptionLimits.Workers)]
        public int? Shards { get; init; }
        [CommandOption("--rank <R>"), Description("This worker's rank; it builds the shards s with s % world == rank (default: SLURM_ARRAY_TASK_ID, RANK or JOB_COMPLETION_INDEX; else 0)")]
        [OptionRange(0, OptionLimits.Workers - 1)]
        public int? Rank { get; init; }
        [CommandOption("--world <W>"), Description("Number of workers (default: SLURM_ARRAY_TASK_COUNT or WORLD_SIZE; else 1)")]
        [OptionRange(1, OptionLimits.Workers)]
        public int? World { get; init; }
        [CommandOption("--no-merge"), Description("With --shards: leave the merge to `entropylong merge` (by default the worker that finds every shard done merges)")]
        public bool NoMerge { get; init; }

        /// <summary>The formats of --format, by name.</summary>
        public IReadOnlyList<string> Formats => Format.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.ToLowerInvariant()).Distinct().ToList();

        private string? FormatError()
        {
            string known = string.Join(", ", BuildOutput.FormatNames);
            if (Formats.Count == 0) return $"--format needs at least one of {known}";
            return Formats.FirstOrDefault(f => !BuildOutput.FormatNames.Contains(f)) is { } unknown ? $"--format: unknown format '{unknown}' (the formats are {known})" : null;
        }

        /// <summary>Where and what the build writes (a sharded build's merge writes the same into --out).</summary>
        public BuildOutput Output() => new BuildOutput(Out)
        {
            OneSpanPerSequence = Method == "random",
            BlockSize = Block,
            MdsShardSizeLimit = ShardSize,
            SequencesFile = Sequences,
            Details = !NoDetails,
            PositionWeights = PositionWeights,
        }.WithFormats(Formats);

        [CommandOption("--method <METHOD>"), Description("entropylong (the paper's, default), or a baseline through the same outputs: retrieval (the same anchors and retrieval, chunks placed unjudged), random (plain concatenation of random documents, one attention span per sequence), nextlong (meta-chunks interleaved with hard-negative distractors)")]
        public string Method { get; init; } = "entropylong";
        [CommandOption("--match <BUILD>"), Description("retrieval and nextlong: place as many chunks per document as this entropylong build placed (a document it did not use is not used); without it, one per anchor or meta-chunk. random: take documents until they hold as many tokens as this build wrote")]
        public string? Match { get; init; }

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } engine) return engine;
            if (Method is not ("entropylong" or "retrieval" or "random" or "nextlong"))
                return ValidationResult.Error($"--method must be entropylong, retrieval, random or nextlong, not '{Method}'");
            if (Match is not null && Method == "entropylong") return ValidationResult.Error("--match applies to the baselines (--method retrieval, random or nextlong)");
            if (Match is not null && Method == "random" && Shards is not null) return ValidationResult.Error("--method random --match applies to unsharded builds: a token budget is not split across shards");
            if (Split is not ("all" or "held-out" or "train")) return ValidationResult.Error($"--split must be all, held-out or train, not '{Split}'");
            if ((Rank is not null || World is not null || NoMerge) && Shards is null) return ValidationResult.Error("--rank, --world and --no-merge need --shards");
            if (!BuildFolder.SequenceNames.Contains(Sequences))
                return ValidationResult.Error($"--sequences must be one of {string.Join(", ", BuildFolder.SequenceNames)} (got '{Sequences}')");
            if (FormatError() is { } error) return ValidationResult.Error(error);
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        if ((s.Limit is not null || s.Split != "all") && s.Shards is not null) throw new UsageException("--limit and --split apply to unsharded builds; split the corpus files instead");
        var options = ResolveOptions(s);
        options.Validate();
        if (s.Shards is null && File.Exists(Path.Combine(s.Out, BuildFolder.Plan)))
            throw new UserInputException($"{s.Out}: holds a sharded build ({BuildFolder.Plan}); finish it with the --shards command that started it, or use a new --out folder");
        // Everything that can be missing is checked before any output is written.
        var corpus = new CorpusReader(s.Corpus.Length > 0 ? s.Corpus : [Defaults.SampleCorpus]);
        OutputPath.CheckBuildFolder(s.Out, corpus.Files);
        corpus.RequireDocument(); // a build of no document would be an empty dataset, exit 0
        if (string.IsNullOrWhiteSpace(s.Index)) throw new UsageException("--index is required (make one with `entropylong index`)");
        if (!Directory.Exists(s.Index)) throw UserInputException.FolderNotFound(s.Index, "index folder");
        var matched = s.Match is { } match && s.Method != "random" ? MatchedCounts(match) : null;
        long? tokenBudget = s.Match is { } budgetBuild && s.Method == "random" ? BuildFolder.ReadStats(budgetBuild).TokensOut : null;
        string modelPath = Defaults.ModelOrDefault(s.Model);
        GgufFile.Check(modelPath);
        var hfTokenizer = s.Tokenizer is { } tok && tok.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? HfTokenizer.Load(tok) : null;
        if (hfTokenizer is null && s.Tokenizer is { } gguf) GgufFile.Check(gguf);
        var evaluation = s.Decontaminate.Length == 0 ? null : ReadEvaluationData(s);
        if (s.Shards is not null) ShardedBuild.CheckFolder(s.Out);
        using var writing = s.Shards is not null ? null : BuildRunner.TryLockFolder(s.Out)
            ?? throw new UserInputException($"{s.Out}: another build is writing to this folder; wait for it to finish, or use another --out folder");

        using var embedder = OnnxEmbedder.Open(new EmbeddingModelOptions { Threads = s.Threads ?? 0 }); // --threads bounds both engines, so workers sharing a node do not oversubscribe it
        using var shardedIndex = ShardedIndex.IsSharded(s.Index) ? ShardedIndex.Open(s.Index, embedder) : null;
        using var index = shardedIndex is null ? ChunkIndex.Open(s.Index, embedder) : null;
        IRetriever retriever = shardedIndex is not null ? new ShardedRetriever(shardedIndex, embedder, s.ExactSearch) : new IndexRetriever(index!, embedder, s.ExactSearch);
        // Roots from the training split: the held-out documents, which a model trained on the build is evaluated on, are
        // kept out of its contexts too.
        if (s.Split == "train") retriever = new ExcludingRetriever(retriever, chunk => EntropyLong.Llm.Training.TrainingData.IsHeldOut(chunk.DocumentId));
        using var scorer = LlamaEngine.Load(modelPath, s.ToLlama() with { CopyWeight = (float)options.CopyWeight });
        using var trainingTokenizer = hfTokenizer is null && s.Tokenizer is { } t ? LlamaVocabulary.Load(t) : null;
        ITrainingTokenizer tokenizer = hfTokenizer ?? (ITrainingTokenizer?)trainingTokenizer ?? scorer.Vocabulary;
        var steps = s.Method switch
        {
            "retrieval" => BuildSteps.Retrieval(scorer, retriever, tokenizer, options, matched, evaluation?.NGrams),
            "random" => BuildSteps.Random(tokenizer, options, tokenBudget, evaluation?.NGrams),
            "nextlong" => BuildSteps.NextLong(retriever, tokenizer, options, matched, evaluation?.NGrams),
            _ => BuildSteps.EntropyLong(scorer, retriever, tokenizer, options, s.Naive, evaluation?.NGrams),
        };
        if (!s.Quiet)
            Progress.Say($"scorer {scorer.Info.Name}: {scorer.Info.Parameters:N0} parameters, vocabulary {scorer.Info.VocabSize}, context {scorer.Info.ContextLength}; index {shardedIndex?.Count ?? index!.Count:N0} chunks{(shardedIndex is null ? "" : $" in {shardedIndex.Shards.Count} shards")} ({embedder.ModelId})");

        long indexChunks = shardedIndex?.Count ?? index!.Count;
        if (s.Shards is { } shards) return ExecuteSharded(s, shards, corpus, steps, options, Effective(s, options, modelPath, scorer, embedder, indexChunks, corpus, evaluation), ct);
        var output = s.Output();
        var runner = new BuildRunner(steps, options.SeqLen, output);
        var documents = corpus.Read().Select(r => r.Document);
        if (s.Split != "all") documents = documents.Where(d => EntropyLong.Llm.Training.TrainingData.IsHeldOut(d.Id) == (s.Split == "held-out"));
        long read = 0;
        if (s.Limit is long limit) documents = documents.Take((int)Math.Min(limit, int.MaxValue)).Select(d => { read++; return d; });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stats = Progress.Run(s.Quiet, progress => runner.Run(documents,
            () => s.Limit is long l ? (double)read / l : corpus.TotalBytes == 0 ? double.NaN : (double)corpus.BytesRead / corpus.TotalBytes,
            p => progress.Report("building", p.FractionOfInput, Status(p, clock)), ct));
        ShardedBuild.AddCorpusSkips(stats, corpus.Stats);
        var effective = Effective(s, options, modelPath, scorer, embedder, indexChunks, corpus, evaluation);
        BuildFolder.WriteJson(Path.Combine(s.Out, BuildFolder.Config), effective);
        DatasetCard.Write(output, JsonSerializer.SerializeToElement(effective, BuildFolder.Json), stats);
        BuildRunner.WriteStats(s.Out, stats);

        if (!s.Quiet)
        {
            PrintSummary(stats, s.Sequences);
            if (corpus.Stats.Skipped > 0) Progress.Say(corpus.Stats.Summary());
            Console.WriteLine($"output: {Path.GetFullPath(s.Out)}/ ({Listing(output)})");
            Console.WriteLine($"report: entropylong report {Shell.QuotePath(s.Out)} writes {Path.Combine(s.Out, "report", "report.html")}");
        }
        return 0;
    }

    // Documents count as done when their block is; the block in hand shows which step it is in. The rate counts the
    // block's share of the steps done, so it moves from the first block on.
    private static string Status(EntropyLong.Pipeline.BuildProgress p, System.Diagnostics.Stopwatch clock) =>
        $"{p.DocumentsRead:N0} docs done ({p.DocumentsDone / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):F1} docs/s)" +
        (p.Stage.Length > 0 ? $", next block in {p.Stage} ({p.BlockFraction:P0})" : "") +
        $", {p.DocumentsUsed:N0} used, {p.ChunksVerified:N0} chunks verified, {p.Sequences:N0} sequences";

    private static int ExecuteSharded(Settings s, int shards, CorpusReader corpus, IReadOnlyList<IBuildStep> steps, EntropyLongOptions options,
        Dictionary<string, object?> effective, CancellationToken ct)
    {
        var job = new ShardedBuild(s.Output(), new ShardPlan(corpus.Files, shards));
        job.Prepare(JsonSerializer.SerializeToElement(effective, BuildFolder.Json));
        BuildFolder.WriteJson(Path.Combine(s.Out, BuildFolder.Config), effective);
        var slot = WorkerSlot.Resolve(s.Rank, s.World);
        if (!s.Quiet) Progress.Say($"{shards} shards split by {(job.Plan.ByFile ? "file" : "record")}; {slot}");
        var failures = new List<string>();
        foreach (int shard in slot.Owned(shards))
        {
            string id = BuildFolder.BuildTask(shard);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string? error = null;
            var outcome = Progress.Run(s.Quiet, progress => job.RunShard(shard,
                output => new BuildRunner(steps, options.SeqLen, output),
                p => progress.Report(id, p.FractionOfInput, Status(p, clock)), out error, ct));
            ShardedTasks.Report(id, outcome, error, failures);
        }
        var merged = failures.Count == 0 && !s.NoMerge ? MergeCommand.Merge(job, s.Out) : null;
        if (merged is not null && !s.Quiet)
        {
            PrintSummary(merged, s.Sequences);
            Console.WriteLine($"merged {shards} shards into {Path.GetFullPath(s.Out)}/ ({Listing(job.Output)}; per-task logs and stats under tasks/)");
        }
        return ShardedTasks.Finish(failures, job.Tasks, Enumerable.Range(0, shards).Select(BuildFolder.BuildTask).ToList(), $"build {s.Out}");
    }

    /// <summary>What a finished build folder holds, for the closing message.</summary>
    internal static string Listing(BuildOutput output) =>
        $"sequences: {output.SequencesFile}" + (output.Mds ? ", MDS shards: mds/" : "") + (output.Parquet ? ", Parquet: parquet/" : "") +
        (output.PositionWeights ? " (with position_weighted)" : "") + ", dataset card: README.md, counters: stats.json, settings: config.json" +
        (File.Exists(Path.Combine(output.Directory, BuildFolder.Details)) ? ", per-document detail: details.jsonl" : "");

    internal static void PrintSummary(BuildStats stats, string sequences)
    {
        Console.WriteLine($"done: {stats.DocumentsRead:N0} documents read, {stats.DocumentsUsed:N0} used, {stats.Anchors:N0} anchors, " +
            $"{stats.CandidatesJudged:N0} candidates judged, {stats.ChunksVerified:N0} chunks verified (mean dI {(stats.ChunksVerified == 0 ? "-" : stats.MeanDelta.ToString("F3"))}), " +
            $"{stats.Sequences:N0} sequences, {stats.TokensOut:N0} tokens");
        Console.WriteLine($"verification decoded {stats.ForwardTokens:N0} tokens; judging each pair alone would take {stats.NaiveForwardTokens:N0} ({(stats.ForwardTokens == 0 ? "-" : $"{(double)stats.NaiveForwardTokens / stats.ForwardTokens:F1}x")})");
        var guards = new List<string>();
        if (stats.CandidatesRepeatedText > 0) guards.Add($"{stats.CandidatesRepeatedText:N0} candidates not judged as copies of a better-retrieved candidate's text");
        if (stats.CandidatesNearDuplicate > 0) guards.Add($"{stats.CandidatesNearDuplicate:N0} candidates not judged as near-duplicates of their document");
        long contaminated = stats.DocumentsSkipped.GetValueOrDefault(DecontaminateDocumentsStep.Reason);
        if (contaminated + stats.CandidatesContaminated > 0)
            guards.Add($"{contaminated:N0} documents and {stats.CandidatesContaminated:N0} candidates dropped as contaminated");
        if (stats.ContextsNegative > 0) guards.Add($"{stats.ContextsNegative:N0} hard negatives placed");
        if (guards.Count > 0) Console.WriteLine("beyond the paper: " + string.Join("; ", guards));
    }

    private static EvaluationData ReadEvaluationData(Settings s)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = EvaluationText.Read(s.Decontaminate);
        if (!s.Quiet)
            Progress.Say($"decontamination: {data.NGrams.Count:N0} distinct word {data.NGrams.N}-grams from {data.Texts:N0} texts in {data.Files.Count:N0} files ({clock.Elapsed.TotalSeconds:F1} s)");
        return data;
    }

    private static Dictionary<string, object?> Effective(Settings s, EntropyLongOptions options, string modelPath, LlamaEngine scorer, OnnxEmbedder embedder,
        long indexChunks, CorpusReader corpus, EvaluationData? evaluation) =>
        new()
        {
            ["options"] = options,
            ["model"] = Path.GetFullPath(modelPath),
            ["model_info"] = scorer.Info,
            ["exact"] = s.Exact,
            ["temperature"] = s.Temperature,
            ["default_scorer"] = s.DefaultScorer,
            ["index"] = Path.GetFullPath(s.Index),
            ["index_chunks"] = indexChunks, // so bench cost can tell the index it is given is this one
            ["embedder"] = embedder.ModelId,
            ["corpus"] = corpus.Files.Select(Path.GetFullPath).ToList(), // read back (bench links, report) from any folder
            ["tokenizer"] = s.Tokenizer is null ? "scorer" : Path.GetFullPath(s.Tokenizer),
            ["naive"] = s.Naive,
            ["block"] = s.Block,
            ["details"] = !s.NoDetails,
            ["method"] = s.Method,
            ["match"] = s.Match is null ? null : Path.GetFullPath(s.Match),
            ["split"] = s.Split,
            ["formats"] = s.Formats,
            ["position_weights"] = s.PositionWeights,
            ["decontaminate"] = evaluation is null ? null : new Dictionary<string, object>
            {
                ["files"] = evaluation.Files.Select(Path.GetFullPath).ToList(),
                ["ngram_words"] = evaluation.NGrams.N,
                ["ngrams"] = evaluation.NGrams.Count,
            },
        };

    /// <summary>How many chunks an entropylong build placed per document (verified contexts, dropped ones included).</summary>
    private static Dictionary<string, int> MatchedCounts(string build)
    {
        var files = new EntropyLong.Report.BuildFiles(build);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, r) in files.ReadSequences())
            foreach (var sample in r.Samples)
                counts[sample.DocumentId] = sample.Contexts.Count(c => c.Kind == ContextRecord.Verified) + sample.ContextsDropped;
        return counts;
    }

    private static EntropyLongOptions ResolveOptions(Settings s)
    {
        // Flags win over the config file, which wins over the defaults: the default scorer's or the paper's.
        var defaults = s.DefaultScorer ? Defaults.ScorerOptions : new EntropyLongOptions();
        var o = s.Config is { } path ? ConfigFile.Read(path, defaults) : defaults;
        return o with
        {
            Alpha = s.Alpha ?? o.Alpha,
            Epsilon = s.Epsilon ?? o.Epsilon,
            Window = s.Window ?? o.Window,
            TopK = s.TopK ?? o.TopK,
            MaxAnchorsPerDocument = s.MaxAnchors ?? o.MaxAnchorsPerDocument,
            MaxChunksPerAnchor = s.MaxChunksPerAnchor ?? o.MaxChunksPerAnchor,
            MinDocumentGain = s.MinDocumentGain ?? o.MinDocumentGain,
            SkipFirstTokens = s.SkipFirst ?? o.SkipFirstTokens,
            WordEntropy = s.WordEntropy || o.WordEntropy,
            CopyWeight = s.CopyWeight ?? o.CopyWeight,
            SeqLen = s.SeqLen ?? o.SeqLen,
            Order = s.Order is null ? o.Order : s.Order.ToLowerInvariant() switch
            {
                "shuffle" => ContextOrder.Shuffle,
                "anchor" => ContextOrder.Anchor,
                _ => throw new UsageException($"--order must be 'shuffle' or 'anchor', not '{s.Order}'"),
            },
            Seed = s.Seed ?? o.Seed,
            Separator = s.Separator is null ? o.Separator : System.Text.RegularExpressions.Regex.Unescape(s.Separator),
            DropUnverified = !s.KeepUnverified && o.DropUnverified,
            NearDuplicate = s.NearDuplicate ?? o.NearDuplicate,
            HardNegatives = s.HardNegatives ?? o.HardNegatives,
        };
    }
}
