using System.Text;
using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>The evaluation data a build is decontaminated against, as a set of word n-grams, and where it came from.</summary>
public sealed record EvaluationData(NGramSet NGrams, IReadOnlyList<string> Files, long Texts);

/// <summary>Reads evaluation text for `build --decontaminate`: JSON lines (.jsonl, .ndjson, optionally .gz or .zst) and
/// JSON files (an array of records, as LongBench-v2 publishes it, or JSON lines), whose records give their "text",
/// "input" and "context" strings (what `eval ruler` and `eval longbench-v2` read and write); Parquet files (.parquet,
/// such as the Hugging Face hub's conversion of LongBench-v2), whose string columns of those names give their values;
/// and any other file as one plain UTF-8 text, a file that is not UTF-8 text or holds a NUL byte (a binary file) being
/// refused. A folder gives the files below it; one of them that holds no such field (a run's scores.json, a
/// log-likelihood file) gives nothing, while a file named on its own must give some text.</summary>
public static class EvaluationText
{
    public static readonly IReadOnlyList<string> Fields = ["text", "input", "context"];

    public static EvaluationData Read(IReadOnlyList<string> paths, int n = NGramSet.DefaultWords)
    {
        var set = new NGramSet(n);
        var files = new List<string>();
        long texts = 0;
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                long before = texts;
                foreach (string file in Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                             .Where(InFolder)
                             .Order(StringComparer.Ordinal))
                {
                    long added = AddFile(file, set);
                    if (added > 0) files.Add(file);
                    texts += added;
                }
                if (texts == before) throw new UserInputException($"{path}: no evaluation text below this folder (.jsonl or .json records or .parquet string columns with {FieldList}, or .txt files)");
            }
            else if (File.Exists(path))
            {
                long added = AddFile(path, set);
                if (added == 0)
                    throw new UserInputException($"{path}: no evaluation text ({(Kind(path) == FileKind.Parquet ? $"no string column {FieldList} with a value" : $"no record has {FieldList}")})");
                files.Add(path);
                texts += added;
            }
            else throw new UserInputException($"{path}: no such file or folder");
        }
        return new EvaluationData(set, files, texts);
    }

    private const string FieldList = "\"text\", \"input\" or \"context\"";

    private enum FileKind { JsonLines, Json, Parquet, Text }

    // By the name without .gz or .zst.
    private static string Inner(string path) => CorpusFiles.Compression(path) == Compression.None ? path : Path.GetFileNameWithoutExtension(path);

    private static FileKind Kind(string path)
    {
        if (CorpusFiles.IsParquet(path)) return FileKind.Parquet;
        string inner = Inner(path);
        if (inner.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || inner.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)) return FileKind.JsonLines;
        return inner.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? FileKind.Json : FileKind.Text;
    }

    // In a folder, plain text is read only from .txt files, not from whatever else a run folder holds (logs, CSV).
    private static bool InFolder(string path) =>
        !Path.GetFileName(path).StartsWith('.') && (Kind(path) != FileKind.Text || Inner(path).EndsWith(".txt", StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds the texts of one file; returns how many it held.</summary>
    private static long AddFile(string path, NGramSet set)
    {
        try
        {
            return AddFileContent(path, set);
        }
        catch (Exception e) when (CorpusFiles.IsUnreadable(e))
        {
            // JSON lines name their line (JsonlLines); a whole text or JSON array has none to name.
            throw CorpusFiles.Unreadable(path, null, e);
        }
    }

    private static long AddFileContent(string path, NGramSet set)
    {
        long texts = 0;
        switch (Kind(path))
        {
            case FileKind.Text:
                set.Add(ReadText(path));
                return 1;
            case FileKind.Parquet:
                foreach (string text in ParquetSource.StringValues(path, Fields))
                {
                    set.Add(text);
                    texts++;
                }
                return texts;
            case FileKind.Json when StartsWithArray(path):
                using (var stream = CorpusFiles.OpenDecompressed(path))
                {
                    int record = 0;
                    try
                    {
                        foreach (var element in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream).ToBlockingEnumerable())
                            texts += AddRecord(element, set, $"{path}: record {++record}");
                    }
                    catch (JsonException e)
                    {
                        throw new UserInputException($"{JsonErrors.Where(path, e)}: not valid JSON ({JsonErrors.Message(e)})", e);
                    }
                }
                return texts;
            default:
                foreach (var (line, text) in JsonlLines.Read(path))
                {
                    JsonDocument record;
                    try { record = JsonDocument.Parse(text); }
                    catch (JsonException e) { throw new UserInputException($"{path}:{line}: not valid JSON ({JsonErrors.Message(e)})", e); }
                    using (record) texts += AddRecord(record.RootElement, set, $"{path}:{line}");
                }
                return texts;
        }
    }

    private static long AddRecord(JsonElement record, NGramSet set, string where)
    {
        if (record.ValueKind != JsonValueKind.Object) throw new UserInputException($"{where}: not a JSON object");
        long texts = 0;
        foreach (string field in Fields)
            if (record.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
            {
                set.Add(value.GetString()!);
                texts++;
            }
        return texts;
    }

    /// <summary>The file as UTF-8 text, without a byte-order mark. Read as text, a binary file or text in another
    /// encoding would give words that match nothing: it is refused, at the line of the first byte that is not text.</summary>
    private static string ReadText(string path)
    {
        var content = new MemoryStream();
        using (var stream = CorpusFiles.OpenDecompressed(path)) stream.CopyTo(content);
        ReadOnlySpan<byte> bytes = content.GetBuffer().AsSpan(0, (int)content.Length);
        if (bytes.StartsWith(Encoding.UTF8.Preamble)) bytes = bytes[Encoding.UTF8.Preamble.Length..];
        int nul = bytes.IndexOf((byte)0), invalid = Utf8Bytes.FirstInvalid(bytes);
        if (nul >= 0 || invalid >= 0)
        {
            int at = nul < 0 ? invalid : invalid < 0 ? nul : Math.Min(nul, invalid);
            throw new UserInputException($"{path}:{bytes[..at].Count((byte)'\n') + 1}: not a text file ({(at == nul ? "a NUL byte" : "a byte that is not UTF-8")}); " +
                                         "evaluation data is JSON lines, JSON, Parquet or UTF-8 text");
        }
        return Encoding.UTF8.GetString(bytes);
    }

    private static bool StartsWithArray(string path)
    {
        using var reader = new StreamReader(CorpusFiles.OpenDecompressed(path));
        int c;
        while ((c = reader.Read()) >= 0 && char.IsWhiteSpace((char)c)) { }
        return c == '[';
    }
}
