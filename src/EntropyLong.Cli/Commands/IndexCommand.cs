using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Pipeline.Tasks;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class IndexCommand : Command<IndexCommand.Settings>
{
    public sealed class Settings : EmbeddingModelSettings
    {
        [CommandOption("--corpus <FILE>")]
        [Description("Corpus file(s) to index, in order; repeat the option for several.")]
        public string[] Corpus { get; init; } = [];

        [CommandOption("--out <DIR>")]
        [Description("Index folder; re-running into the same folder resumes and reuses what is done.")]
        public string Out { get; init; } = "";

        [CommandOption("--max-chars <N>")]
        [Description("Chunk size limit in characters.")]
        [DefaultValue(TextChunker.DefaultMaxChars)]
        [OptionRange(2, 1_000_000)]
        public int MaxChars { get; init; } = TextChunker.DefaultMaxChars;

        [CommandOption("--no-hnsw")]
        [Description("Store chunks and vectors only; searches are then exact (brute force).")]
        public bool NoHnsw { get; init; }

        [CommandOption("--connectivity <M>")]
        [Description("HNSW links per graph node (M).")]
        [DefaultValue(HnswSettings.DefaultConnectivity)]
        [OptionRange(2, 1024)]
        public int Connectivity { get; init; } = HnswSettings.DefaultConnectivity;

        [CommandOption("--expansion-add <EF>")]
        [Description("Search beam while inserting into the graph (ef_construction).")]
        [DefaultValue(HnswSettings.DefaultExpansion)]
        [OptionRange(1, OptionLimits.Candidates)]
        public int ExpansionAdd { get; init; } = HnswSettings.DefaultExpansion;

        [CommandOption("--expansion-search <EF>")]
        [Description("Default search beam stored with the index.")]
        [DefaultValue(HnswSettings.DefaultExpansion)]
        [OptionRange(1, OptionLimits.Candidates)]
        public int ExpansionSearch { get; init; } = HnswSettings.DefaultExpansion;

        [CommandOption("--quantize <KIND>")]
        [Description("Scalar type of the graph's vectors: f32, f16 or i8 (4, 2 or 1 byte per coordinate; the links take the same). Hits are rescored from the float32 vectors, so only which chunks are found can change.")]
        [DefaultValue("f32")]
        public string Quantize { get; init; } = "f32";

        [CommandOption("--hnsw-threads <N>")]
        [Description("Threads inserting into the graph (default: one per core). Parallel insertion makes a slightly different graph on each run; 1 makes the same graph every time.")]
        [OptionRange(0, OptionLimits.Threads)]
        public int HnswThreads { get; init; }

        [CommandOption("--shards <N>")]
        [Description("Split the corpus into N shards, one index folder each (out/shard-NNNN/), built as independent resumable tasks.")]
        [OptionRange(1, OptionLimits.Workers)]
        public int? Shards { get; init; }

        [CommandOption("--rank <R>")]
        [Description("This worker's rank (default: SLURM_ARRAY_TASK_ID, RANK or JOB_COMPLETION_INDEX; else 0). It builds the shards s with s % world == rank.")]
        [OptionRange(0, OptionLimits.Workers - 1)]
        public int? Rank { get; init; }

        [CommandOption("--world <W>")]
        [Description("Number of workers (default: SLURM_ARRAY_TASK_COUNT or WORLD_SIZE; else 1).")]
        [OptionRange(1, OptionLimits.Workers)]
        public int? World { get; init; }

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } embedding) return embedding;
            if ((Rank is not null || World is not null) && Shards is null) return ValidationResult.Error("--rank/--world need --shards");
            if (Corpus.Length == 0) return ValidationResult.Error("--corpus is required");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required");
            if (!Quantizations.ByName.ContainsKey(Quantize))
                return ValidationResult.Error($"--quantize must be f32, f16 or i8, not '{Quantize}'");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var corpus = new CorpusReader(settings.Corpus); // fails here, before any output, on a missing file
        OutputPath.CheckFolder(settings.Out);
        // An index of no chunk would be written, and searched, without complaint.
        corpus.RequireDocument();
        using var embedder = OnnxEmbedder.Open(settings.ToOptions());
        Progress.Say($"model {embedder.ModelId} ({embedder.Dimension} dimensions)");
        var options = new IndexBuildOptions
        {
            MaxChars = settings.MaxChars,
            BuildHnsw = !settings.NoHnsw,
            Threads = settings.HnswThreads,
            Hnsw = new HnswSettings
            {
                Connectivity = settings.Connectivity, ExpansionAdd = settings.ExpansionAdd, ExpansionSearch = settings.ExpansionSearch,
                Quantization = Quantizations.ByName[settings.Quantize],
            },
        };
        if (settings.Shards is { } shards) return ExecuteSharded(settings, corpus, embedder, options, shards, cancellationToken);
        var result = Progress.Run(quiet: false, progress =>
            IndexBuilder.Build(settings.Out, corpus.Read().Select(r => r.Document), embedder, options, Reporter(progress, ""), cancellationToken));
        Progress.Say(
            $"index ready {settings.Out}: {result.Documents:N0} documents, {result.Chunks:N0} chunks " +
            $"({result.DocumentsReused:N0} documents reused, {result.ChunksEmbedded:N0} chunks embedded in {result.EmbedTime.TotalSeconds:F1}s, " +
            $"{result.GraphVectorsAdded:N0} graph insertions in {result.GraphTime.TotalSeconds:F1}s)");
        if (result.RepeatedIds > 0) Progress.Say($"{result.RepeatedIds:N0} documents left out: their id came earlier in the corpus (build skips them as duplicate_id)");
        if (corpus.Stats.Skipped > 0) Progress.Say(corpus.Stats.Summary());
        return 0;
    }

    private static int ExecuteSharded(Settings settings, CorpusReader corpus, OnnxEmbedder embedder, IndexBuildOptions options, int shards, CancellationToken ct)
    {
        var plan = new ShardPlan(corpus.Files, shards);
        var slot = WorkerSlot.Resolve(settings.Rank, settings.World);
        Directory.CreateDirectory(settings.Out);
        ShardedBuild.ClaimOrCompare(Path.Combine(settings.Out, ShardedIndex.FileName), ShardedIndex.ManifestBytes(shards),
            $"is an index of another shard count; use --shards {ShardedIndex.ReadShardCount(settings.Out)} or a new --out folder");
        var tasks = new TaskStore(settings.Out);
        Progress.Say($"{shards} shards split by {(plan.ByFile ? "file" : "record")}; {slot}");
        var failures = new List<string>();
        foreach (int shard in slot.Owned(shards))
        {
            string id = BuildFolder.IndexShard(shard);
            var outcome = tasks.RunInPlace(id, dir =>
            {
                var reader = plan.Reader(shard);
                var r = Progress.Run(quiet: false, progress => IndexBuilder.Build(dir, reader.Read().Select(x => x.Document), embedder, options, Reporter(progress, id + " "), ct));
                Progress.Say($"{id}: {r.Documents:N0} documents, {r.Chunks:N0} chunks ({r.ChunksEmbedded:N0} embedded now)");
                if (reader.Stats.Skipped > 0) Progress.Say($"{id}: {reader.Stats.Summary()}");
            }, out string? error);
            ShardedTasks.Report(id, outcome, error, failures);
        }
        return ShardedTasks.Finish(failures, tasks, Enumerable.Range(0, shards).Select(BuildFolder.IndexShard).ToList(), $"index {settings.Out}");
    }

    /// <summary>The index build's phases as progress tasks: embedding (its total is not known in advance), then the graph.</summary>
    private static IProgress<IndexBuildProgress> Reporter(Progress progress, string prefix)
    {
        var started = DateTime.UtcNow;
        return new SyncProgress<IndexBuildProgress>(p =>
        {
            if (p.Phase == "graph")
                progress.Report(prefix + "HNSW graph", (double)p.GraphAdded / Math.Max(1, p.GraphTotal), $"{p.GraphAdded:N0}/{p.GraphTotal:N0} vectors");
            else
                progress.Report(prefix + "embedding", double.NaN,
                    $"{p.Phase} {p.Documents:N0} docs, {p.Chunks:N0} chunks ({p.Chunks / Math.Max(1e-3, (DateTime.UtcNow - started).TotalSeconds):N0} chunks/s)");
        });
    }
}
