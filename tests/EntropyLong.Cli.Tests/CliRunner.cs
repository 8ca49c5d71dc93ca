namespace EntropyLong.Cli.Tests;

/// <summary>Runs the real entry point in-process with stdout and stderr captured. Console redirection is
/// process-wide, so every CLI test shares one non-parallel collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliRunner
{
    public const string Name = "cli";
    private static readonly Lock Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                var entry = typeof(Commands.ScoreCommand).Assembly.EntryPoint!;
                var result = entry.Invoke(null, [args]);
                int code = result is Task<int> t ? t.GetAwaiter().GetResult() : (int)result!;
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "entropylong-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
