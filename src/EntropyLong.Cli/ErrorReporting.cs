using EntropyLong.Core;
using Spectre.Console;

namespace EntropyLong.Cli;

/// <summary>Turns failures into one clear line on stderr and an exit code; never a stack trace
/// unless ENTROPYLONG_DEBUG is set.</summary>
public static class ErrorReporting
{
    public const int UsageError = 2;
    public const int InputError = 3;
    public const int Failure = 1;

    public static int Report(Exception ex)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Environment.GetEnvironmentVariable("ENTROPYLONG_DEBUG") is { Length: > 0 })
        {
            err.WriteException(ex);
            return Failure;
        }
        switch (ex)
        {
            case Spectre.Console.Cli.CommandParseException or Spectre.Console.Cli.CommandRuntimeException:
                err.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
                return UsageError;
            case UserInputException u:
                err.MarkupLine($"[red]error:[/] {Markup.Escape(u.Message)}");
                return InputError;
            case OperationCanceledException:
                err.MarkupLine("[yellow]cancelled[/]");
                return 130;
            default:
                err.MarkupLine($"[red]error:[/] {Markup.Escape(ex.GetType().Name)}: {Markup.Escape(ex.Message)}");
                err.MarkupLine("[grey]set ENTROPYLONG_DEBUG=1 for the stack trace[/]");
                return Failure;
        }
    }
}
