using EntropyLong.Cli.Commands;
using Spectre.Console.Cli;

namespace EntropyLong.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        // Spectre takes 80 columns when stdout is no terminal and wraps tables and help there, splitting what a log or a
        // script reads; redirected, a line is as long as its content.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = RedirectedWidth;
        return Create(args).RunAsync(args);
    }

    internal const int RedirectedWidth = 4096;

    /// <summary>The app with every command. It refuses what a command does not define: unknown options (strict
    /// parsing, branches and subcommands included), values out of an <see cref="OptionRangeAttribute"/>, a one-value
    /// option given twice, and arguments after <c>--</c> unless the settings say <see cref="PassesArgumentsOnAttribute"/>. Errors name the
    /// option in <paramref name="args"/>, which must be what the app will run with.</summary>
    internal static CommandApp Create(IReadOnlyList<string> args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("entropylong");
            config.UseStrictParsing();
            config.Settings.Registrar.RegisterInstance<ICommandInterceptor, CommandLineGuard>(new CommandLineGuard(args));
            config.SetExceptionHandler((ex, _) => ErrorReporting.Report(ex, args));
            AddCommands(config);
        });
        return app;
    }

    private static void AddCommands(IConfigurator config)
    {
        config.AddCommand<VersionCommand>("version").WithDescription("Print the version.");
        config.AddCommand<ScoreCommand>("score").WithDescription("Per-token entropy of every document under a GGUF causal LM.");
        config.AddCommand<IndexCommand>("index").WithDescription("Chunk, embed and index a corpus for retrieval (resumable).");
        config.AddCommand<SearchCommand>("search").WithDescription("Query a retrieval index and print the hits.");
        config.AddCommand<BuildCommand>("build").WithDescription("Run stages 1-5 and write training sequences (JSONL, MDS, stats).");
        config.AddCommand<TrainCommand>("train").WithDescription("Train a small Llama model on CPU (ggml) and write it as GGUF.");
        config.AddCommand<MergeCommand>("merge").WithDescription("Merge the shard tasks of `build --shards N` into the final outputs (idempotent).");
        config.AddBranch("slurm", slurm =>
        {
            slurm.SetDescription("Run index -> build -> merge as Slurm array jobs chained with afterok.");
            slurm.AddCommand<SlurmSubmitCommand>("submit").WithDescription("Write sbatch scripts into OUT/slurm/ and submit them.");
            slurm.AddCommand<SlurmStatusCommand>("status").WithDescription("Tasks done per stage and the jobs' Slurm states.");
        });
        config.AddCommand<CompareCommand>("compare").WithDescription("What changed between two builds: shared anchors and verified (document, chunk) pairs, counts and mean dI.");
        config.AddCommand<ReportCommand>("report").WithDescription("One self-contained HTML page (and PNG charts) to inspect a build.");
        config.AddBranch("bench", bench =>
        {
            bench.SetDescription("Benchmarks that print ratios measured side by side in one run.");
            bench.AddCommand<BenchScoreCommand>("score").WithDescription("llama.cpp decode throughput vs the scorer's, entropy cost per token.");
            bench.AddCommand<BenchVerifyCommand>("verify").WithDescription("Verification LM tokens (grouped by chunk vs every pair alone, per block size) and the stage's tokens/s vs raw llama.cpp decode.");
            bench.AddCommand<BenchEmbedCommand>("embed").WithDescription("Embedder vs a bare ONNX Runtime session on the same batches, padding share; --baseline: vs the settings it replaced.");
            bench.AddCommand<BenchScaleCommand>("scale").WithDescription("1 vs 2 workers, a worker's memory at 1x vs 10x corpus, resume latency.");
            bench.AddCommand<BenchIndexCommand>("index").WithDescription("HNSW build rate, size, recall and latency vs exact search.");
            bench.AddCommand<BenchCostCommand>("cost").WithDescription("The cost model's inputs measured on a build and its index, and what they make at a target scale (docs/cost.md).");
            bench.AddCommand<BenchContextCommand>("context").WithDescription("Does a model use its context? Entropy at repeated rare words, first vs later occurrences.");
            bench.AddCommand<BenchLinksCommand>("links").WithDescription("Verified, top-1 and all retrieved chunks: how often they come from a document the root document links to.");
            bench.AddCommand<BenchTrainCommand>("train").WithDescription("Training throughput of the ggml graph: forward vs forward+backward tokens/s.");
        });
        config.AddEval();
        config.AddBranch("experiment", experiment =>
        {
            experiment.SetDescription("Experiments that train and evaluate models on built data.");
            experiment.AddCommand<ExperimentAblationCommand>("ablation").WithDescription("The paper's ablation in miniature: each kind of data built, trained on and evaluated (resumable).");
            experiment.AddCommand<ExperimentMergeCommand>("merge").WithDescription("One table from ablations with the same settings run in different folders (seeds on other machines).");
        });
    }
}
