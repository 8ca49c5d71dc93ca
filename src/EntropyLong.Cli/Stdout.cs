using Spectre.Console;

namespace EntropyLong.Cli;

/// <summary>A command's result lines on stdout (messages and progress go to stderr through <see cref="Progress.Say"/>).
/// Spectre's console wraps a line at its width, 80 columns when stdout is not a terminal, which splits what a log or a
/// script greps: there the markup is stripped and the line written whole.</summary>
internal static class Stdout
{
    public static void MarkupLine(string markup)
    {
        if (Console.IsOutputRedirected) Console.WriteLine(Markup.Remove(markup));
        else AnsiConsole.MarkupLine(markup);
    }
}
