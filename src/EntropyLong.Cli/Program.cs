using EntropyLong.Cli;
using EntropyLong.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("entropylong");
    config.SetExceptionHandler((ex, _) => ErrorReporting.Report(ex));
    config.AddCommand<VersionCommand>("version").WithDescription("Print the version and the native libraries found.");
    config.AddEval();
});
return await app.RunAsync(args);
