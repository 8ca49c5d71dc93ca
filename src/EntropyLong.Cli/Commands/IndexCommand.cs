using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Data;
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
        public int MaxChars { get; init; } = TextChunker.DefaultMaxChars;

        [CommandOption("--no-hnsw")]
        [Description("Store chunks and vectors only; searches are then exact (brute force).")]
        public bool NoHnsw { get; init; }

        [CommandOption("--connectivity <M>")]
        [DefaultValue(16)]
        public int Connectivity { get; init; } = 16;

        [CommandOption("--expansion-add <EF>")]
        [DefaultValue(128)]
        public int ExpansionAdd { get; init; } = 128;

        [CommandOption("--expansion-search <EF>")]
        [Description("Default search beam stored with the index.")]
        [DefaultValue(128)]
        public int ExpansionSearch { get; init; } = 128;

        public override ValidationResult Validate()
        {
            if (Corpus.Length == 0) return ValidationResult.Error("--corpus is required");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required");
            if (MaxChars < 2) return ValidationResult.Error("--max-chars must be at least 2");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var corpus = new CorpusReader(settings.Corpus); // fails here, before any output, on a missing file
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        using var embedder = OnnxEmbedder.Open(settings.ToOptions());
        err.MarkupLine($"[grey]model {Markup.Escape(embedder.ModelId)} ({embedder.Dimension} dimensions)[/]");
        var options = new IndexBuildOptions
        {
            MaxChars = settings.MaxChars,
            BuildHnsw = !settings.NoHnsw,
            Hnsw = new HnswSettings
            {
                Connectivity = settings.Connectivity, ExpansionAdd = settings.ExpansionAdd, ExpansionSearch = settings.ExpansionSearch,
            },
        };
        var result = BuildProgress.Run(err, progress =>
            IndexBuilder.Build(settings.Out, corpus.Read().Select(r => r.Document), embedder, options, progress, cancellationToken));
        err.MarkupLine(
            $"[green]index ready[/] {Markup.Escape(settings.Out)}: {result.Documents:N0} documents, {result.Chunks:N0} chunks " +
            $"({result.DocumentsReused:N0} documents reused, {result.ChunksEmbedded:N0} chunks embedded in {result.EmbedTime.TotalSeconds:F1}s, " +
            $"{result.GraphVectorsAdded:N0} graph insertions in {result.GraphTime.TotalSeconds:F1}s)");
        if (corpus.Stats.Skipped > 0) err.WriteLine(corpus.Stats.Summary());
        return 0;
    }

}

/// <summary>Shows an index build: Spectre progress bars on a terminal, a plain line every few seconds otherwise.</summary>
internal static class BuildProgress
{
    public static T Run<T>(IAnsiConsole err, Func<IProgress<IndexBuildProgress>, T> work)
    {
        if (!Console.IsErrorRedirected && err.Profile.Capabilities.Interactive)
        {
            return err.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var embed = ctx.AddTask("embedding", maxValue: 1).IsIndeterminate();
                    ProgressTask? graph = null;
                    var started = DateTime.UtcNow;
                    return work(new Progress(p =>
                    {
                        if (p.Phase == "graph")
                        {
                            embed.Value = 1;
                            embed.IsIndeterminate = false;
                            embed.StopTask();
                            graph ??= ctx.AddTask("HNSW graph", maxValue: Math.Max(1, p.GraphTotal));
                            graph.Value = p.GraphAdded;
                            graph.Description = $"HNSW graph {p.GraphAdded:N0}/{p.GraphTotal:N0}";
                        }
                        else
                        {
                            double rate = p.Chunks / Math.Max(1e-3, (DateTime.UtcNow - started).TotalSeconds);
                            embed.Description = $"{p.Phase} {p.Documents:N0} docs, {p.Chunks:N0} chunks ({rate:N0} chunks/s)";
                        }
                    }));
                });
        }
        var last = DateTime.MinValue;
        return work(new Progress(p =>
        {
            if ((DateTime.UtcNow - last).TotalSeconds < 5 && !(p.Phase == "graph" && p.GraphAdded == p.GraphTotal)) return;
            last = DateTime.UtcNow;
            err.WriteLine(p.Phase == "graph"
                ? $"graph: {p.GraphAdded:N0}/{p.GraphTotal:N0} vectors"
                : $"{p.Phase}: {p.Documents:N0} documents, {p.Chunks:N0} chunks");
        }));
    }

    /// <summary>Reports synchronously on the calling thread (System.Progress would post to the thread pool).</summary>
    private sealed class Progress(Action<IndexBuildProgress> report) : IProgress<IndexBuildProgress>
    {
        private readonly Lock _lock = new();
        public void Report(IndexBuildProgress value)
        {
            lock (_lock) report(value);
        }
    }
}
