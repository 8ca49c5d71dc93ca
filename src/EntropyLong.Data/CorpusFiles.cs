using EntropyLong.Core;

namespace EntropyLong.Data;

internal enum Compression { None, Gzip, Zstd }

/// <summary>Which files a list of corpus paths names, and how each is read.</summary>
internal static class CorpusFiles
{
    public const string Supported = ".jsonl, .json, .ndjson (optionally .gz or .zst), .parquet";

    private static readonly string[] JsonLines = [".jsonl", ".json", ".ndjson"];

    public static bool IsParquet(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    public static Compression Compression(string path) =>
        path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? Data.Compression.Gzip
        : path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".zstd", StringComparison.OrdinalIgnoreCase) ? Data.Compression.Zstd
        : Data.Compression.None;

    public static bool IsSupported(string path)
    {
        if (IsParquet(path)) return true;
        string inner = Compression(path) == Data.Compression.None ? path : Path.GetFileNameWithoutExtension(path);
        return JsonLines.Any(e => inner.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Expands files, directories (their supported files, recursively, sorted by relative path)
    /// and wildcards in the file name (sorted by name), keeping the given order of the paths.</summary>
    public static List<string> Resolve(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (path.AsSpan().IndexOfAny('*', '?') >= 0) files.AddRange(Glob(path));
            else if (Directory.Exists(path)) files.AddRange(InDirectory(path));
            else if (File.Exists(path))
            {
                if (!IsSupported(path))
                    throw new UserInputException($"{path}: unsupported corpus file type; expected {Supported}");
                files.Add(path);
            }
            else throw new UserInputException($"{path}: no such file or directory");
        }
        if (files.Count == 0) throw new UserInputException("no corpus file given");
        return files;
    }

    private static IEnumerable<string> InDirectory(string dir)
    {
        var found = Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(f => IsSupported(f) && !Path.GetFileName(f).StartsWith('.'))
            .OrderBy(f => Path.GetRelativePath(dir, f), StringComparer.Ordinal)
            .ToList();
        if (found.Count == 0) throw new UserInputException($"{dir}: directory holds no corpus file ({Supported})");
        return found;
    }

    private static IEnumerable<string> Glob(string pattern)
    {
        string dir = Path.GetDirectoryName(pattern) ?? "";
        string name = Path.GetFileName(pattern);
        if (dir.AsSpan().IndexOfAny('*', '?') >= 0)
            throw new UserInputException($"{pattern}: wildcards are allowed in the file name only (give a directory to read it recursively)");
        if (!Directory.Exists(dir.Length == 0 ? "." : dir))
            throw new UserInputException($"{pattern}: no such directory '{dir}'");
        var found = Directory.EnumerateFiles(dir.Length == 0 ? "." : dir, name, new EnumerationOptions { MatchType = MatchType.Simple })
            .Where(IsSupported)
            .Select(f => dir.Length == 0 ? Path.GetFileName(f) : f)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        if (found.Count == 0) throw new UserInputException($"{pattern}: no corpus file matches ({Supported})");
        return found;
    }

    /// <summary>The file's content, decompressed when its name says .gz or .zst.</summary>
    public static Stream OpenDecompressed(string path) => Decompressed(OpenRead(path), path);

    /// <summary>The content of <paramref name="file"/> (at <paramref name="path"/>), decompressed when its name says so; a
    /// truncated gzip file throws at its end (<see cref="GzipReadStream"/>).</summary>
    public static Stream Decompressed(FileStream file, string path) => Compression(path) switch
    {
        Data.Compression.Gzip => new GzipReadStream(file, path),
        Data.Compression.Zstd => new ZstdSharp.DecompressionStream(file),
        _ => file,
    };

    /// <summary>What reading a damaged file throws: a corrupt or truncated gzip or zstd stream (EndOfStreamException is
    /// an IOException), or a failing disk.</summary>
    public static bool IsUnreadable(Exception e) => e is InvalidDataException or IOException or ZstdSharp.ZstdException;

    /// <summary>The error for <see cref="IsUnreadable"/>, naming the file and the last line read whole (null: a file not read by lines).</summary>
    public static UserInputException Unreadable(string path, long? afterLine, Exception e)
    {
        if (e is TruncatedGzipException truncated)
            return new UserInputException($"{path}: the gzip stream is truncated ({truncated.Where(afterLine)}); re-download or re-compress the file", e);
        var compression = Compression(path);
        string what = compression == Data.Compression.None ? "file" : $"{compression.ToString().ToLowerInvariant()} stream";
        string after = afterLine is { } line ? $" after line {line}" : "";
        return new UserInputException($"{path}: cannot read the {what}{after} (corrupt or truncated file): {e.Message}", e);
    }

    public static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UserInputException($"{path}: no such file", e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UserInputException($"{path}: cannot open: {e.Message}", e);
        }
    }
}
