using EntropyLong.Cli;
using EntropyLong.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("entropylong");
    config.SetExceptionHandler((ex, _) => ErrorReporting.Report(ex));
    config.AddCommand<TrainCommand>("train").WithDescription("Train a small Llama model on CPU (ggml) and write it as GGUF.");
    config.AddBranch("bench", bench =>
    {
        bench.AddCommand<BenchContextCommand>("context").WithDescription("Does a model use its context? Entropy at repeated rare words, first vs later occurrences.");
        bench.AddCommand<BenchTrainCommand>("train").WithDescription("Training throughput of the ggml graph: forward vs forward+backward tokens/s.");
    });
    config.AddCommand<VersionCommand>("version").WithDescription("Print the version and the native libraries found.");
});
return await app.RunAsync(args);
