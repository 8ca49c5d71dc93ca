namespace EntropyLong.Cli;

/// <summary>Command lines printed for the user to copy (`report: entropylong report OUT`): a path with spaces or shell
/// characters has to come out as one argument.</summary>
internal static class Shell
{
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", @"'\''") + "'";
}
