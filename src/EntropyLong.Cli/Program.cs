using EntropyLong.Cli;
using EntropyLong.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("entropylong");
    config.SetExceptionHandler((ex, _) => ErrorReporting.Report(ex));
    config.AddCommand<VersionCommand>("version").WithDescription("Print the version.");
    config.AddCommand<ScoreCommand>("score").WithDescription("Per-token entropy of every document under a GGUF causal LM.");
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Benchmarks that print ratios measured side by side in one run.");
        bench.AddCommand<BenchScoreCommand>("score").WithDescription("llama.cpp decode throughput vs the scorer's, entropy cost per token.");
    });
});
return await app.RunAsync(args);
