using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Pipeline;
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
        public double? Alpha { get; init; }
        [CommandOption("--epsilon <E>"), Description("Keep a chunk when (H - H')/H > epsilon (0.4)")]
        public double? Epsilon { get; init; }
        [CommandOption("--window <W>"), Description("Query window: w tokens either side of the anchor (16)")]
        public int? Window { get; init; }
        [CommandOption("--top-k <K>"), Description("Candidates per anchor (32)")]
        public int? TopK { get; init; }
        [CommandOption("--max-anchors <N>"), Description("Optional cap on anchors per document (off)")]
        public int? MaxAnchors { get; init; }
        [CommandOption("--seq-len <N>"), Description("Target sequence length in training-tokenizer tokens (131072)")]
        public int? SeqLen { get; init; }
        [CommandOption("--order <ORDER>"), Description("shuffle (default) or anchor")]
        public string? Order { get; init; }
        [CommandOption("--seed <N>"), Description("Run seed (42)")]
        public ulong? Seed { get; init; }
        [CommandOption("--separator <TEXT>"), Description("Text joining contexts and document (a blank line)")]
        public string? Separator { get; init; }
        [CommandOption("--keep-unverified"), Description("Emit documents with no verified chunk too (dropped and counted by default)")]
        public bool KeepUnverified { get; init; }
        [CommandOption("--tokenizer <GGUF>"), Description("Training model's tokenizer, loaded vocabulary-only (default: the scorer's)")]
        public string? Tokenizer { get; init; }
        [CommandOption("--naive"), Description("Judge every (anchor, candidate) pair with its own pass (the test oracle)")]
        public bool Naive { get; init; }
        [CommandOption("--block <N>"), Description("Documents per block whose pairs are grouped by chunk (16)")]
        public int Block { get; init; } = 16;
        [CommandOption("--shard-size <BYTES>"), Description("MDS shard size limit (67108864)")]
        public long ShardSize { get; init; } = 1 << 26;
        [CommandOption("--sequences <NAME>"), Description("sequences.jsonl, .jsonl.gz or .jsonl.zst")]
        public string Sequences { get; init; } = "sequences.jsonl";
        [CommandOption("--no-details"), Description("Do not write details.jsonl (per-token entropy, anchors, every candidate: what `entropylong report` shows)")]
        public bool NoDetails { get; init; }
        [CommandOption("--exact-search"), Description("Brute-force search instead of HNSW")]
        public bool ExactSearch { get; init; }
        [CommandOption("--quiet")]
        public bool Quiet { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        var options = ResolveOptions(s);
        options.Validate();
        // Everything that can be missing is checked before any output is written.
        var corpus = new CorpusReader(s.Corpus.Length > 0 ? s.Corpus : [Defaults.SampleCorpus]);
        if (string.IsNullOrWhiteSpace(s.Index)) throw new UserInputException("--index is required (make one with `entropylong index`)");
        if (!Directory.Exists(s.Index)) throw new UserInputException($"{s.Index}: index folder not found");
        string modelPath = Defaults.ModelOrDefault(s.Model);
        GgufFile.Check(modelPath);
        if (s.Tokenizer is { } tok) GgufFile.Check(tok);

        using var embedder = OnnxEmbedder.Open(new EmbeddingModelOptions());
        using var index = ChunkIndex.Open(s.Index, embedder);
        using var scorer = LlamaEngine.Load(modelPath, s.ToLlama());
        using var trainingTokenizer = s.Tokenizer is { } t ? LlamaEngine.Load(t, new LlamaSettings { ContextLength = 16, KvContexts = 1, MaxSequences = 1 }) : null;
        Func<string, int[]> tokenize = trainingTokenizer is null ? scorer.TokenizeWithBos : trainingTokenizer.TokenizeWithBos;
        if (!s.Quiet)
            Console.Error.WriteLine($"scorer {scorer.Info.Name}: {scorer.Info.Parameters:N0} parameters, vocabulary {scorer.Info.VocabSize}, context {scorer.Info.ContextLength}; index {index.Count:N0} chunks ({embedder.ModelId})");

        Directory.CreateDirectory(s.Out);
        var runner = new BuildRunner(scorer, new IndexRetriever(index, embedder, s.ExactSearch), tokenize, options,
            new BuildOutput(s.Out) { BlockSize = s.Block, MdsShardSizeLimit = s.ShardSize, SequencesFile = s.Sequences, Naive = s.Naive, Details = !s.NoDetails });
        var stats = Progress.Run("building", s.Quiet, report => runner.Run(corpus.Read().Select(r => r.Document),
            () => corpus.TotalBytes == 0 ? double.NaN : (double)corpus.BytesRead / corpus.TotalBytes,
            p => report(p.FractionOfInput, $"{p.DocumentsRead:N0} docs, {p.DocumentsUsed:N0} used, {p.ChunksVerified:N0} chunks verified, {p.Sequences:N0} sequences"), ct));
        stats.DocumentsRead += corpus.Stats.Skipped;
        foreach (SkipReason reason in Enum.GetValues<SkipReason>())
            if (corpus.Stats[reason] > 0) stats.Skip(JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString()), corpus.Stats[reason]);

        var effective = new Dictionary<string, object?>
        {
            ["options"] = options,
            ["model"] = Path.GetFullPath(modelPath),
            ["model_info"] = scorer.Info,
            ["exact"] = s.Exact,
            ["index"] = Path.GetFullPath(s.Index),
            ["embedder"] = embedder.ModelId,
            ["corpus"] = corpus.Files,
            ["tokenizer"] = s.Tokenizer is null ? "scorer" : Path.GetFullPath(s.Tokenizer),
            ["naive"] = s.Naive,
            ["block"] = s.Block,
            ["details"] = !s.NoDetails,
        };
        AtomicFile.WriteAllBytes(Path.Combine(s.Out, "config.json"), JsonSerializer.SerializeToUtf8Bytes(effective, SequenceJson.Options));
        BuildRunner.WriteStats(s.Out, stats);

        if (!s.Quiet)
        {
            AnsiConsole.MarkupLine($"[green]done[/]: {stats.DocumentsRead:N0} documents read, {stats.DocumentsUsed:N0} used, {stats.Anchors:N0} anchors, " +
                $"{stats.CandidatesJudged:N0} candidates judged, {stats.ChunksVerified:N0} chunks verified (mean dI {stats.MeanDelta:F3}), " +
                $"{stats.Sequences:N0} sequences, {stats.TokensOut:N0} tokens");
            AnsiConsole.MarkupLine($"verification decoded {stats.ForwardTokens:N0} tokens; judging each pair alone would take {stats.NaiveForwardTokens:N0} ({(stats.ForwardTokens == 0 ? 0 : (double)stats.NaiveForwardTokens / stats.ForwardTokens):F1}x)");
            if (corpus.Stats.Skipped > 0) Console.Error.WriteLine(corpus.Stats.Summary());
            AnsiConsole.MarkupLine($"output: {Markup.Escape(Path.GetFullPath(s.Out))}/ (sequences: {Markup.Escape(s.Sequences)}, MDS shards: mds/, counters: stats.json, settings: config.json{(s.NoDetails ? "" : ", per-document detail: details.jsonl")})");
            AnsiConsole.MarkupLine($"report: [bold]entropylong report {Markup.Escape(s.Out)}[/] writes {Markup.Escape(Path.Combine(s.Out, "report", "report.html"))}");
        }
        return 0;
    }

    private static EntropyLongOptions ResolveOptions(Settings s)
    {
        var o = new EntropyLongOptions();
        if (s.Config is { } path) o = ConfigFile.Read(path, o);
        return o with
        {
            Alpha = s.Alpha ?? o.Alpha,
            Epsilon = s.Epsilon ?? o.Epsilon,
            Window = s.Window ?? o.Window,
            TopK = s.TopK ?? o.TopK,
            MaxAnchorsPerDocument = s.MaxAnchors ?? o.MaxAnchorsPerDocument,
            SeqLen = s.SeqLen ?? o.SeqLen,
            Order = s.Order is null ? o.Order : s.Order.ToLowerInvariant() switch
            {
                "shuffle" => ContextOrder.Shuffle,
                "anchor" => ContextOrder.Anchor,
                _ => throw new UserInputException($"--order must be 'shuffle' or 'anchor', not '{s.Order}'"),
            },
            Seed = s.Seed ?? o.Seed,
            Separator = s.Separator is null ? o.Separator : System.Text.RegularExpressions.Regex.Unescape(s.Separator),
            DropUnverified = !s.KeepUnverified && o.DropUnverified,
        };
    }
}
