using EntropyLong.Core;
using Spectre.Console.Cli;

namespace EntropyLong.Cli;

/// <summary>Turns failures into one plain line on stderr (never wrapped, so it can be grepped) and an exit code;
/// no stack trace unless ENTROPYLONG_DEBUG is set.</summary>
public static class ErrorReporting
{
    public const int Failure = 1;
    public const int UsageError = 2;
    public const int InputError = 3;

    /// <param name="args">The command line, to name the option a Spectre error is about.</param>
    public static int Report(Exception ex, IReadOnlyList<string> args)
    {
        if (Environment.GetEnvironmentVariable("ENTROPYLONG_DEBUG") is { Length: > 0 })
        {
            Console.Error.WriteLine(ex);
            return Failure;
        }
        switch (ex)
        {
            case CommandRuntimeException e: // parsing (CommandParseException), conversion and validation
                Console.Error.WriteLine($"error: {CommandLineCheck.FirstProblem(CliCommand.App, args) ?? SpectreMessage(e)}");
                return UsageError;
            case UsageException:
                Console.Error.WriteLine($"error: {ex.Message}");
                return UsageError;
            case UserInputException:
                Console.Error.WriteLine($"error: {ex.Message}");
                return InputError;
            case StoppedException e:
                Console.Error.WriteLine(e.Message);
                return e.ExitCode;
            case OperationCanceledException:
                Console.Error.WriteLine("cancelled");
                return 130;
            // Wherever the write was (a task's lock file, an output, a log), like a task that fails on a full disk.
            case Exception when DiskFull.Find(ex) is { } full:
                Console.Error.WriteLine($"error: {DiskFull.Message(full)}");
                return InputError;
            default:
                Console.Error.WriteLine($"error: {ex.GetType().Name}: {ex.Message}");
                Console.Error.WriteLine("(set ENTROPYLONG_DEBUG=1 for the stack trace)");
                return Failure;
        }
    }

    // A failed conversion's message names the .NET type ("Failed to convert 'abc' to Nullable`1"); the others name
    // the option, command or argument.
    private static string SpectreMessage(CommandRuntimeException e) =>
        e.InnerException is null ? e.Message : "a value on the command line is not of the kind its option expects (see --help)";
}

/// <summary>A command line the command does not accept (exit code 2), found after Spectre parsed it.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A run stopped by a signal, its work kept for a rerun: the message and the exit code a shell gives for that signal.</summary>
internal sealed class StoppedException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
