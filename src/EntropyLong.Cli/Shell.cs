namespace EntropyLong.Cli;

/// <summary>Command lines printed for the user to copy (`report: entropylong report OUT`): a path with spaces or shell
/// characters has to come out as one argument, and one starting with '-' as a path rather than an option.</summary>
internal static class Shell
{
    public static string QuotePath(string path)
    {
        // Quotes do not stop a command from reading "-x" as an option; "./-x" names the same file.
        if (path.StartsWith('-')) path = "./" + path;
        return path.Length > 0 && path.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? path
            : "'" + path.Replace("'", @"'\''") + "'";
    }
}
