namespace EntropyLong.Data;

/// <summary>The non-blank lines of a JSON-lines file, plain or compressed (.gz, .zst), with their 1-based numbers.</summary>
public static class JsonlLines
{
    public static IEnumerable<(long Line, string Text)> Read(string path)
    {
        using var stream = CorpusFiles.OpenDecompressed(path);
        using var reader = new StreamReader(stream, bufferSize: 1 << 16);
        long n = 0;
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (Exception e) when (CorpusFiles.IsUnreadable(e))
            {
                throw CorpusFiles.Unreadable(path, n, e);
            }
            if (line is null) yield break;
            n++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (n, line);
        }
    }
}
