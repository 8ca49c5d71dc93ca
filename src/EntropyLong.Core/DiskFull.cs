using System.Text.RegularExpressions;

namespace EntropyLong.Core;

/// <summary>A write that failed for want of space: said as "disk full while writing PATH", wherever it happens, since
/// what the user must do (free space, or write elsewhere, and run again) does not depend on which file it was.</summary>
public static partial class DiskFull
{
    /// <summary>ENOSPC (28) and EDQUOT (122) surface as IOException with the errno in HResult's low bits; the message is
    /// checked too, for a runtime that sets another HResult.</summary>
    public static bool Is(IOException e) => (e.HResult & 0xFFFF) is 28 or 122 || e.Message.Contains("No space left", StringComparison.Ordinal)
        || e.Message.Contains("quota", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first disk-full IOException in <paramref name="e"/> or the exceptions it wraps (a worker thread's, a
    /// writer library's); null if there is none.</summary>
    public static IOException? Find(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is IOException io && Is(io)) return io;
        return null;
    }

    /// <summary>One line: the file the runtime names (its message ends in " : 'PATH'" on Unix) and the system's words.</summary>
    public static string Message(IOException e)
    {
        var named = NamedPath().Match(e.Message);
        return named.Success ? $"disk full while writing {named.Groups["path"].Value} ({named.Groups["reason"].Value.Trim()})" : $"disk full ({e.Message.Trim()})";
    }

    [GeneratedRegex(@"^(?<reason>.*?)\s*:\s*'(?<path>.+)'\s*$", RegexOptions.Singleline)]
    private static partial Regex NamedPath();
}
