using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Bench;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BenchEmbedCommand : Command<BenchEmbedCommand.Settings>
{
    public sealed class Settings : EmbeddingModelSettings
    {
        [CommandOption("--chunks <N>")]
        [Description("Chunks of the built-in real-text sample to embed per round.")]
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

        [CommandOption("--json")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var texts = SampleCorpus.Load().SelectMany(d => TextChunker.Chunk(d, settings.MaxChars))
            .Take(settings.Chunks).Select(c => c.Text).ToList();
        using var embedder = OnnxEmbedder.Open(settings.ToOptions());
        var r = RetrievalBenchmarks.Embed(embedder, texts, settings.EmbedBatch, settings.Rounds);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model = r.Model, chunks = r.Chunks, tokens = r.Tokens, batch = r.BatchSize, rounds = r.Rounds,
                threads = Environment.ProcessorCount,
                load_average = LoadAverage(),
                raw_chunks_per_s = Math.Round(r.RawChunksPerSecond, 2),
                embedder_chunks_per_s = Math.Round(r.EmbedderChunksPerSecond, 2),
                ratio = Math.Round(r.Ratio, 4),
            }));
            return 0;
        }
        var table = new Table().AddColumn("").AddColumn(new TableColumn("chunks/s").RightAligned());
        table.Caption($"1-minute load average during the run: {LoadAverage()}");
        table.AddRow("bare ONNX Runtime session, same batches", r.RawChunksPerSecond.ToString("F1"));
        table.AddRow("OnnxEmbedder (tokenize + run + pool + normalize)", r.EmbedderChunksPerSecond.ToString("F1"));
        table.AddRow("[bold]ratio[/]", r.Ratio.ToString("F3"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]{r.Chunks} chunks ({r.Tokens:N0} tokens), batch {r.BatchSize}, best of {r.Rounds}, {Environment.ProcessorCount} cores, {Markup.Escape(r.Model)}[/]");
        return 0;
    }

    /// <summary>Other processes' load skews any timing on a shared machine; printed so readers can judge.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
