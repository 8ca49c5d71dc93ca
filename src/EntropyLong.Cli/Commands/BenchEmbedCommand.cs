using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Bench;
using EntropyLong.Data;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BenchEmbedCommand : Command<BenchEmbedCommand.Settings>
{
    public sealed class Settings : EmbeddingModelSettings
    {
        [CommandOption("--corpus <FILES>")]
        [Description("Embed chunks of these documents (e.g. data/sample/corpus.jsonl.gz) instead of the built-in real-text sample.")]
        public string[] Corpus { get; init; } = [];

        [CommandOption("--chunks <N>")]
        [Description("Chunks to embed per round (the first N).")]
        [DefaultValue(128)]
        [OptionRange(1, 1_000_000)]
        public int Chunks { get; init; } = 128;

        [CommandOption("--max-chars <N>")]
        [DefaultValue(TextChunker.DefaultMaxChars)]
        [OptionRange(2, 1_000_000)]
        public int MaxChars { get; init; } = TextChunker.DefaultMaxChars;

        [CommandOption("--rounds <N>")]
        [Description("Alternating rounds; the best of each side counts.")]
        [DefaultValue(5)]
        [OptionRange(1, 1000)]
        public int Rounds { get; init; } = 5;

        [CommandOption("--baseline")]
        [Description("Also time the settings the embedder replaced (--embed-batch texts per call whatever their length, spinning ONNX Runtime threads) and the length-grouped batches on spinning threads, alternating with the embedder, and compare their vectors.")]
        public bool Baseline { get; init; }

        [CommandOption("--json")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var documents = settings.Corpus.Length > 0
            ? new CorpusReader(settings.Corpus).Read().Select(r => r.Document)
            : SampleCorpus.Load();
        var texts = documents.SelectMany(d => TextChunker.Chunk(d, settings.MaxChars)).Take(settings.Chunks).Select(c => c.Text).ToList();
        var options = settings.ToOptions();
        // The index builder embeds what it commits together; the benchmark feeds the embedder the same windows.
        int window = new IndexBuildOptions().CommitChunks;
        EmbedBenchmarkResult r;
        using (var embedder = OnnxEmbedder.Open(options))
            r = RetrievalBenchmarks.Embed(embedder, texts, window, settings.EmbedBatch, settings.EmbedTokens, settings.Rounds);
        var b = settings.Baseline ? RetrievalBenchmarks.CompareWithBaseline(options, texts, window, settings.Rounds) : null;
        if (settings.Json)
        {
            var json = new Dictionary<string, object>
            {
                ["model"] = r.Model, ["chunks"] = r.Chunks, ["tokens"] = r.Tokens, ["batch"] = r.BatchSize, ["rounds"] = r.Rounds,
                ["threads"] = Environment.ProcessorCount,
                ["load_average"] = LoadAverage(),
                ["raw_chunks_per_s"] = Math.Round(r.RawChunksPerSecond, 2),
                ["embedder_chunks_per_s"] = Math.Round(r.EmbedderChunksPerSecond, 2),
                ["ratio"] = Math.Round(r.Ratio, 4),
                ["padding_share"] = Math.Round(r.PaddingShare, 4),
                ["token_budget"] = r.TokenBudget,
            };
            if (b is not null)
            {
                json["window"] = b.Window;
                json["baseline_chunks_per_s"] = Math.Round(b.BaselineChunksPerSecond, 2);
                json["grouped_spinning_chunks_per_s"] = Math.Round(b.GroupedSpinningChunksPerSecond, 2);
                json["grouped_chunks_per_s"] = Math.Round(b.EmbedderChunksPerSecond, 2);
                json["speedup"] = Math.Round(b.Speedup, 3);
                json["baseline_padding_share"] = Math.Round(b.BaselinePaddingShare, 4);
                json["min_cosine_to_baseline"] = Math.Round(b.MinCosine, 6);
            }
            Console.WriteLine(JsonSerializer.Serialize(json));
            return 0;
        }
        var table = new Table().AddColumn("").AddColumn(new TableColumn("chunks/s").RightAligned());
        table.Caption($"1-minute load average during the run: {LoadAverage()}");
        table.AddRow("bare ONNX Runtime session, same batches", r.RawChunksPerSecond.ToString("F1"));
        table.AddRow("OnnxEmbedder (tokenize + run + pool + normalize)", r.EmbedderChunksPerSecond.ToString("F1"));
        table.AddRow("[bold]ratio[/]", r.Ratio.ToString("F3"));
        if (b is not null)
        {
            table.AddEmptyRow();
            table.AddRow($"baseline: {r.BatchSize} texts per call, spinning threads (padding {b.BaselinePaddingShare:P1})", b.BaselineChunksPerSecond.ToString("F1"));
            table.AddRow("length-grouped batches, spinning threads", b.GroupedSpinningChunksPerSecond.ToString("F1"));
            table.AddRow($"length-grouped batches, blocking threads (padding {b.PaddingShare:P1})", b.EmbedderChunksPerSecond.ToString("F1"));
            table.AddRow("[bold]speedup over the baseline[/]", $"{b.Speedup:F2}x");
            table.AddRow("smallest cosine to the baseline's vector", b.MinCosine.ToString("F6"));
        }
        AnsiConsole.Write(table);
        Stdout.MarkupLine($"[grey]{r.Chunks} chunks ({r.Tokens:N0} tokens, {r.PaddingShare:P1} padding), at most {r.BatchSize} texts and {r.TokenBudget} positions per call, in windows of {window}, best of {r.Rounds}, {Environment.ProcessorCount} cores, {Markup.Escape(r.Model)}[/]");
        return 0;
    }

    /// <summary>Other processes' load skews any timing on a shared machine; printed so readers can judge.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
