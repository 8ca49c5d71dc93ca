using System.IO.Compression;
using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>2,293 real documents (CPython 3.12 standard-library docstrings, 200-4,000 characters each) shipped in
/// this assembly, so benchmarks and tests embed real prose without a download.</summary>
public static class SampleCorpus
{
    public static IReadOnlyList<Document> Load()
    {
        using var raw = typeof(SampleCorpus).Assembly.GetManifestResourceStream("EntropyLong.Retrieval.SampleCorpus.jsonl.gz")!;
        using var reader = new StreamReader(new GZipStream(raw, CompressionMode.Decompress));
        var docs = new List<Document>();
        int line = 0;
        while (reader.ReadLine() is { } json)
        {
            line++;
            using var doc = JsonDocument.Parse(json);
            docs.Add(new Document(doc.RootElement.GetProperty("id").GetString()!, doc.RootElement.GetProperty("text").GetString()!, $"sample:{line}"));
        }
        return docs;
    }
}
