using System.IO.Compression;

namespace EntropyLong.Data;

/// <summary>The non-blank lines of a JSON-lines file, plain or compressed (.gz, .zst), with their 1-based numbers.</summary>
public static class JsonlLines
{
    public static IEnumerable<(long Line, string Text)> Read(string path)
    {
        FileStream file;
        try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new Core.UserInputException($"{path}: cannot open: {e.Message}", e); }
        using Stream stream = CorpusFiles.Compression(path) switch
        {
            Compression.Gzip => new GZipStream(file, CompressionMode.Decompress),
            Compression.Zstd => new ZstdSharp.DecompressionStream(file),
            _ => file,
        };
        using var reader = new StreamReader(stream, bufferSize: 1 << 16);
        long n = 0;
        while (reader.ReadLine() is { } line)
        {
            n++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (n, line);
        }
    }
}
