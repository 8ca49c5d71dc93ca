using EntropyLong.Core;

namespace EntropyLong.Cli;

/// <summary>Checks an --out path before any work, so one of the wrong kind is a one-line error naming it rather than an
/// IOException once the run has spent its time (or, for an input file, a corpus overwritten).</summary>
internal static class OutputPath
{
    /// <summary>A folder the command creates or adds to; not one of <paramref name="inputFolders"/> nor inside one.</summary>
    public static void CheckFolder(string path, params IEnumerable<string> inputFolders)
    {
        if (File.Exists(path)) throw new UserInputException($"{path}: a file, but --out names a folder");
        CheckOutside(path, inputFolders);
    }

    /// <summary>A file the command writes: neither a folder (nor a path ending in '/', which names one) nor one of the
    /// files it reads, nor a file inside one of the folders it reads.</summary>
    public static void CheckFile(string path, IEnumerable<string> inputs)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{path}: a folder, but --out names the file to write");
        if (Path.EndsInDirectorySeparator(path)) throw new UsageException($"--out {path} ends in '/', but it names the file to write");
        var files = inputs.Where(input => !Directory.Exists(input)).ToList();
        string target = Resolved(path);
        if (files.FirstOrDefault(input => Resolved(input) == target) is { } same)
            throw new UsageException($"--out {path} is the input file {same}; writing it would overwrite the input");
        CheckOutside(path, inputs.Where(Directory.Exists));
    }

    private static void CheckOutside(string path, IEnumerable<string> inputFolders)
    {
        string target = Resolved(path);
        foreach (string folder in inputFolders)
        {
            string input = Path.TrimEndingDirectorySeparator(Resolved(folder));
            if (target == input || target.StartsWith(input + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new UsageException($"--out {path} is inside {folder}, which this command reads; writing there could overwrite its files");
        }
    }

    // The full path, through symbolic links to the file they name.
    private static string Resolved(string path) =>
        new FileInfo(path) is { LinkTarget: not null } link ? link.ResolveLinkTarget(returnFinalTarget: true)!.FullName : Path.GetFullPath(path);
}
