using EntropyLong.Core;
using EntropyLong.Data;

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

    /// <summary>A build's folder: a folder (<see cref="CheckFolder"/>) that holds none of the corpus files it reads (its
    /// output would be read back as corpus) and no README.md but a build's own dataset card, which it replaces.</summary>
    public static void CheckBuildFolder(string path, IEnumerable<string> corpusFiles)
    {
        CheckFolder(path);
        string folder = Path.TrimEndingDirectorySeparator(Resolved(path)) + Path.DirectorySeparatorChar;
        if (corpusFiles.FirstOrDefault(f => Resolved(f).StartsWith(folder, StringComparison.Ordinal)) is { } inside)
            throw new UsageException($"--out {path} holds the corpus file {inside}; write the build to another folder");
        // A build writes config.json before its card: a README.md without one is someone else's.
        if (File.Exists(Path.Combine(path, BuildFolder.Card)) && !File.Exists(Path.Combine(path, BuildFolder.Config)))
            throw new UserInputException($"{Path.Combine(path, BuildFolder.Card)}: not a build's dataset card, and a build writes its card there; use another --out folder");
    }

    /// <summary>A file the command writes: neither a folder (nor a path ending in '/', which names one) nor one of the
    /// files it reads, nor a file inside one of the folders it reads. <paramref name="option"/> names the path in messages.</summary>
    public static void CheckFile(string path, IEnumerable<string> inputs, string option = "--out")
    {
        if (Directory.Exists(path)) throw new UserInputException($"{path}: a folder, but {option} names the file to write");
        if (Path.EndsInDirectorySeparator(path)) throw new UsageException($"{option} {path} ends in '/', but it names the file to write");
        var files = inputs.Where(input => !Directory.Exists(input)).ToList();
        if (files.FirstOrDefault(input => Same(input, path)) is { } same)
            throw new UsageException($"{option} {path} is the input file {same}; writing it would overwrite the input");
        CheckOutside(path, inputs.Where(Directory.Exists), option);
    }

    /// <summary>Whether two paths name one file (through symbolic links).</summary>
    public static bool Same(string a, string b) => Resolved(a) == Resolved(b);

    private static void CheckOutside(string path, IEnumerable<string> inputFolders, string option = "--out")
    {
        string target = Resolved(path);
        foreach (string folder in inputFolders)
        {
            string input = Path.TrimEndingDirectorySeparator(Resolved(folder));
            if (target == input || target.StartsWith(input + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new UsageException($"{option} {path} is inside {folder}, which this command reads; writing there could overwrite its files");
        }
    }

    // The full path, through symbolic links to the file they name.
    private static string Resolved(string path) =>
        new FileInfo(path) is { LinkTarget: not null } link ? link.ResolveLinkTarget(returnFinalTarget: true)!.FullName : Path.GetFullPath(path);
}
