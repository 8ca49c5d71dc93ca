using EntropyLong.Core;

namespace EntropyLong.Cli;

/// <summary>Checks an --out path before any work, so one of the wrong kind is a one-line error naming it rather than an
/// IOException once the run has spent its time (or, for an input file, a corpus overwritten).</summary>
internal static class OutputPath
{
    /// <summary>A folder the command creates or adds to.</summary>
    public static void CheckFolder(string path)
    {
        if (File.Exists(path)) throw new UserInputException($"{path}: a file, but --out names a folder");
    }

    /// <summary>A file the command writes: neither a folder nor one of the files it reads.</summary>
    public static void CheckFile(string path, IEnumerable<string> inputs)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{path}: a folder, but --out names the file to write");
        string target = Resolved(path);
        if (inputs.FirstOrDefault(input => Resolved(input) == target) is { } same)
            throw new UsageException($"--out {path} is the input file {same}; writing it would overwrite the input");
    }

    // The full path, through symbolic links to the file they name.
    private static string Resolved(string path) =>
        new FileInfo(path) is { LinkTarget: not null } link ? link.ResolveLinkTarget(returnFinalTarget: true)!.FullName : Path.GetFullPath(path);
}
