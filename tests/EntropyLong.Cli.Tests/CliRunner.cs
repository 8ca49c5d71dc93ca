using Spectre.Console.Cli;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

/// <summary>Runs the real entry point in-process with stdout and stderr captured. Console redirection is
/// process-wide, so every CLI test shares one non-parallel collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliRunner
{
    public const string Name = "cli";
    private static readonly Lock Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args) => Capture(() =>
    {
        var result = typeof(Commands.ScoreCommand).Assembly.EntryPoint!.Invoke(null, [args]);
        return result is Task<int> t ? t.GetAwaiter().GetResult() : (int)result!;
    });

    /// <summary>Runs the real app through parsing, binding and option validation, and stops where the command would
    /// start (so nothing slow runs); <c>Started</c> says whether it got there.</summary>
    public static (int Code, string Err, bool Started) RunUntilStart(params string[] args)
    {
        var stop = new StopAtStart();
        var app = Program.Create(args);
        app.Configure(config => config.Settings.Registrar.RegisterInstance<ICommandInterceptor, StopAtStart>(stop));
        var (code, _, err) = Capture(() => app.Run(args));
        return (code, err, stop.Started);
    }

    public static (int Code, string Out, string Err) Capture(Func<int> run)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = run();
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    private sealed class StopAtStart : ICommandInterceptor
    {
        public bool Started { get; private set; }

        public void Intercept(CommandContext context, CommandSettings settings)
        {
            Started = true;
            throw new OperationCanceledException("stopped before the command ran");
        }
    }

    public static string TempDir() => Scratch.NewDirectory("cli");
}
