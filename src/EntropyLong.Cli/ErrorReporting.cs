using EntropyLong.Core;

namespace EntropyLong.Cli;

/// <summary>Turns failures into one plain line on stderr (never wrapped, so it can be grepped) and an exit code;
/// no stack trace unless ENTROPYLONG_DEBUG is set.</summary>
public static class ErrorReporting
{
    public const int Failure = 1;
    public const int UsageError = 2;
    public const int InputError = 3;

    public static int Report(Exception ex)
    {
        if (Environment.GetEnvironmentVariable("ENTROPYLONG_DEBUG") is { Length: > 0 })
        {
            Console.Error.WriteLine(ex);
            return Failure;
        }
        switch (ex)
        {
            case Spectre.Console.Cli.CommandParseException or Spectre.Console.Cli.CommandRuntimeException:
                Console.Error.WriteLine($"error: {ex.Message}");
                return UsageError;
            case UserInputException:
                Console.Error.WriteLine($"error: {ex.Message}");
                return InputError;
            case OperationCanceledException:
                Console.Error.WriteLine("cancelled");
                return 130;
            default:
                Console.Error.WriteLine($"error: {ex.GetType().Name}: {ex.Message}");
                Console.Error.WriteLine("(set ENTROPYLONG_DEBUG=1 for the stack trace)");
                return Failure;
        }
    }
}
