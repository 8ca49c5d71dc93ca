using System.IO.Compression;
using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Report;

/// <summary>The files of a finished build folder, read as the report needs them.</summary>
public sealed class BuildFiles
{
    public const string Stats = "stats.json", Config = "config.json", Details = "details.jsonl";
    private static readonly string[] SequenceNames = ["sequences.jsonl", "sequences.jsonl.gz", "sequences.jsonl.zst", "sequences.jsonl.zstd"];

    public string Directory { get; }
    public string SequencesPath { get; }
    /// <summary>Null when the build ran with --no-details.</summary>
    public string? DetailsPath { get; }

    /// <exception cref="UserInputException">Not a finished build folder.</exception>
    public BuildFiles(string directory)
    {
        Directory = directory;
        if (!System.IO.Directory.Exists(directory)) throw new UserInputException($"{directory}: build folder not found");
        if (!File.Exists(Path.Combine(directory, Stats)))
            throw new UserInputException($"{Path.Combine(directory, Stats)}: not found; {directory} is not a finished build (stats.json is written last)");
        SequencesPath = SequenceNames.Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists)
            ?? throw new UserInputException($"{directory}: no sequences.jsonl (nor .gz, .zst)");
        string details = Path.Combine(directory, Details);
        DetailsPath = File.Exists(details) ? details : null;
    }

    /// <summary>A JSON file of the build, or null when absent.</summary>
    public JsonElement? ReadJson(string name)
    {
        string path = Path.Combine(Directory, name);
        if (!File.Exists(path)) return null;
        try { return JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new UserInputException($"{path}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>Each line of a JSON-lines file (plain, gzip or zstd) as a parsed object, with its 1-based line number.</summary>
    public static IEnumerable<(long Line, JsonElement Record)> ReadLines(string path)
    {
        FileStream file;
        try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UserInputException($"{path}: cannot open: {e.Message}", e); }
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress)
            : path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".zstd", StringComparison.OrdinalIgnoreCase) ? new ZstdSharp.DecompressionStream(file)
            : file;
        using var reader = new StreamReader(stream, bufferSize: 1 << 16);
        long n = 0;
        while (reader.ReadLine() is { } line)
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement record;
            try
            {
                using var doc = JsonDocument.Parse(line);
                record = doc.RootElement.Clone();
            }
            catch (JsonException e) { throw new UserInputException($"{path}:{n}: not valid JSON ({e.Message})", e); }
            if (record.ValueKind != JsonValueKind.Object) throw new UserInputException($"{path}:{n}: expected a JSON object");
            yield return (n, record);
        }
    }
}
