using Spectre.Console;

namespace EntropyLong.Cli;

/// <summary>A command's result lines on stdout (messages and progress go to stderr through <see cref="Progress.Say"/>).
/// Redirected, a line goes to <see cref="Console.Out"/> without its markup and is never wrapped; Spectre's console,
/// which <see cref="Program.Main"/> widens there for tables and help, would still wrap past its width.</summary>
internal static class Stdout
{
    public static void MarkupLine(string markup)
    {
        if (Console.IsOutputRedirected) Console.WriteLine(Markup.Remove(markup));
        else AnsiConsole.MarkupLine(markup);
    }
}
