using System.Text;
using EntropyLong.Core;
using Parquet;
using Parquet.Schema;

namespace EntropyLong.Data.Tests;

public class CorpusReaderTests
{
    private const string ThreeDocs = """
        {"id": "a", "text": "Alpha text."}
        {"text": "Beta text.", "id": 42, "extra": {"nested": [1, 2]}}
        {"text": "Gamma \u00e9 text."}

        """;

    private static List<CorpusRecord> ReadAll(CorpusReader reader) => reader.Read().ToList();

    [Theory]
    [InlineData("c.jsonl")]
    [InlineData("c.json")]
    [InlineData("c.jsonl.gz")]
    [InlineData("c.jsonl.zst")]
    public void ReadsEachJsonLinesFormat(string name)
    {
        using var dir = new TempDir();
        string path = name.EndsWith(".gz") ? dir.WriteBytes(name, TempDir.Gzip(ThreeDocs))
            : name.EndsWith(".zst") ? dir.WriteBytes(name, TempDir.Zstd(ThreeDocs))
            : dir.Write(name, ThreeDocs);
        var reader = new CorpusReader([path]);
        var docs = ReadAll(reader);

        Assert.Equal(["a", "42", $"{name}:3"], docs.Select(d => d.Document.Id));
        Assert.Equal(["Alpha text.", "Beta text.", "Gamma é text."], docs.Select(d => d.Document.Text));
        Assert.Equal([$"{path}:1", $"{path}:2", $"{path}:3"], docs.Select(d => d.Document.Source));
        Assert.Equal([0L, 1, 2], docs.Select(d => d.Ordinal));
        Assert.Equal(3, reader.Stats.Documents);
        Assert.Equal(0, reader.Stats.Skipped);
        Assert.Equal(reader.TotalBytes, reader.BytesRead);
    }

    [Fact]
    public void ReadsParquetWithAndWithoutIdColumn()
    {
        using var dir = new TempDir();
        string withIds = dir["ids.parquet"], noIds = dir["plain.parquet"];
        WriteParquet(withIds, ["one", null, "  ", "four"], [10L, 11, 12, 13]);
        WriteParquet(noIds, ["x", "y"], null);
        var skips = new List<SkippedRecord>();
        var reader = new CorpusReader([withIds, noIds], new CorpusReaderOptions { OnSkip = skips.Add });
        var docs = ReadAll(reader);

        Assert.Equal(["10", "13", "plain.parquet:1", "plain.parquet:2"], docs.Select(d => d.Document.Id));
        Assert.Equal(["one", "four", "x", "y"], docs.Select(d => d.Document.Text));
        Assert.Equal([0L, 3, 4, 5], docs.Select(d => d.Ordinal));
        Assert.Equal($"{withIds}:4", docs[1].Document.Source);
        Assert.Equal([$"{withIds}:2", $"{withIds}:3"], skips.Select(s => s.Location));
        Assert.Equal(1, reader.Stats[SkipReason.MissingText]);
        Assert.Equal(1, reader.Stats[SkipReason.EmptyText]);
    }

    [Fact]
    public void ParquetRowGroupsAreReadInOrder()
    {
        using var dir = new TempDir();
        string path = dir["groups.parquet"];
        WriteParquet(path, ["a", "b"], null, ["c", "d", "e"]);
        var docs = ReadAll(new CorpusReader([path]));
        Assert.Equal(["a", "b", "c", "d", "e"], docs.Select(d => d.Document.Text));
        Assert.Equal("groups.parquet:5", docs[^1].Document.Id);
    }

    [Fact]
    public void EachSkipReasonIsCountedWithFileAndLine()
    {
        using var dir = new TempDir();
        var bytes = new List<byte>();
        void Line(string s) => bytes.AddRange(Encoding.UTF8.GetBytes(s + "\n"));
        Line("""{"text": "good one"}""");                 // 1
        Line("""{"text": "unterminated""");               // 2 malformed
        Line("""[1, 2, 3]""");                            // 3 not an object
        Line("""{"id": "no text"}""");                    // 4 missing
        Line("""{"text": 17}""");                         // 5 not a string
        Line("""{"text": "bad \ud800 surrogate"}""");     // 6 lone surrogate
        bytes.AddRange("{\"text\": \"bad "u8.ToArray()); bytes.Add(0xFF); Line("\"}"); // 7 invalid UTF-8
        Line("""{"text": "  \n\t "}""");                  // 8 empty
        Line("""{"text": "ok"} trailing""");              // 9 malformed
        Line("""{"text": "good two"}""");                 // 10
        string path = dir.WriteBytes("bad.jsonl", bytes.ToArray());

        var seen = new List<SkippedRecord>();
        var reader = new CorpusReader([path], new CorpusReaderOptions { OnSkip = seen.Add });
        var docs = ReadAll(reader);

        Assert.Equal(["good one", "good two"], docs.Select(d => d.Document.Text));
        Assert.Equal([0L, 9], docs.Select(d => d.Ordinal));
        Assert.Equal(3, reader.Stats[SkipReason.MalformedJson]);
        Assert.Equal(2, reader.Stats[SkipReason.MissingText]);
        Assert.Equal(2, reader.Stats[SkipReason.InvalidUtf8]);
        Assert.Equal(1, reader.Stats[SkipReason.EmptyText]);
        Assert.Equal(8, reader.Stats.Skipped);
        Assert.Equal(
            [(2, SkipReason.MalformedJson), (3, SkipReason.MalformedJson), (4, SkipReason.MissingText), (5, SkipReason.MissingText),
             (6, SkipReason.InvalidUtf8), (7, SkipReason.InvalidUtf8), (8, SkipReason.EmptyText), (9, SkipReason.MalformedJson)],
            seen.Select(s => (int.Parse(s.Location[(path.Length + 1)..]), s.Reason)));
        Assert.Equal(ReadStats.MaxExamples, reader.Stats.Examples.Count);
        Assert.Equal(seen.Take(ReadStats.MaxExamples), reader.Stats.Examples);
        Assert.Equal("at byte 15", seen[5].Detail);
        Assert.Equal("'t' is invalid after a single JSON value. Expected end of data, at byte 16", seen[7].Detail);
        Assert.StartsWith($"8 records skipped (3 malformed JSON, 2 missing text, 2 invalid UTF-8, 1 empty text); first: {path}:2: malformed JSON", reader.Stats.Summary());
    }

    [Fact]
    public void OverlongLineIsSkippedWithoutStoppingTheRun()
    {
        using var dir = new TempDir();
        string big = "{\"text\": \"" + new string('x', 5000) + "\"}";
        string path = dir.Write("big.jsonl", $"{{\"text\": \"before\"}}\n{big}\n{{\"text\": \"after\"}}");
        var reader = new CorpusReader([path], new CorpusReaderOptions { MaxRecordBytes = 1000 });
        var docs = ReadAll(reader);
        Assert.Equal(["before", "after"], docs.Select(d => d.Document.Text));
        Assert.Equal(1, reader.Stats[SkipReason.TooLarge]);
        Assert.Equal($"{path}:2", reader.Stats.Examples[0].Location);
    }

    [Fact]
    public void BlankLinesCarriageReturnsAndByteOrderMarkAreTolerated()
    {
        using var dir = new TempDir();
        string path = dir.Write("crlf.jsonl", "\uFEFF{\"text\": \"one\"}\r\n\r\n   \r\n{\"text\": \"two\"}");
        var docs = ReadAll(new CorpusReader([path]));
        Assert.Equal(["one", "two"], docs.Select(d => d.Document.Text));
        Assert.Equal(["crlf.jsonl:1", "crlf.jsonl:4"], docs.Select(d => d.Document.Id));
        Assert.Equal([0L, 1], docs.Select(d => d.Ordinal));
        // Files joined with cat keep the second one's mark at the start of a line, and a mark may stand before a blank
        // line: that record was skipped as malformed JSON, and the blank line counted as a record.
        string joined = dir.Write("joined.jsonl", "\uFEFF\n{\"text\": \"one\"}\n\uFEFF{\"text\": \"two\"}\n");
        var reader = new CorpusReader([joined]);
        Assert.Equal(["one", "two"], ReadAll(reader).Select(d => d.Document.Text));
        Assert.Equal(0, reader.Stats.Skipped);
    }

    [Fact]
    public void LinesLongerThanTheReadBufferAreWhole()
    {
        using var dir = new TempDir();
        string text = string.Concat(Enumerable.Range(0, 40000).Select(i => (char)('a' + i % 26)));
        string path = dir.Write("long.jsonl", $"{{\"text\": \"{text}\"}}\n{{\"text\": \"{text}\"}}\n");
        var docs = ReadAll(new CorpusReader([path]));
        Assert.Equal(2, docs.Count);
        Assert.All(docs, d => Assert.Equal(text, d.Document.Text));
    }

    [Fact]
    public void DirectoriesAreReadSortedAndGlobsMatchFileNames()
    {
        using var dir = new TempDir();
        dir.Write("corpus/b.jsonl", """{"text": "b"}""");
        dir.Write("corpus/a.jsonl", """{"text": "a"}""");
        dir.Write("corpus/sub/c.jsonl.gz", "");
        File.WriteAllBytes(dir["corpus/sub/c.jsonl.gz"], TempDir.Gzip("""{"text": "c"}"""));
        dir.Write("corpus/notes.txt", "ignored");
        dir.Write("corpus/.hidden.jsonl", """{"text": "hidden"}""");

        var fromDir = new CorpusReader([dir["corpus"]]);
        Assert.Equal(["a", "b", "c"], ReadAll(fromDir).Select(d => d.Document.Text));

        var fromGlob = new CorpusReader([dir["corpus/*.jsonl"], dir["corpus/a.jsonl"]]);
        Assert.Equal(["a", "b", "a"], ReadAll(fromGlob).Select(d => d.Document.Text));
    }

    [Fact]
    public void ShardsPartitionTheStreamAndKeepGlobalOrdinals()
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 23).Select(i => i == 7 ? "not json" : $"{{\"text\": \"doc {i}\"}}");
        string path = dir.Write("s.jsonl", string.Join("\n", lines.Take(12)));
        string path2 = dir.Write("t.jsonl", string.Join("\n", lines.Skip(12)));
        var all = ReadAll(new CorpusReader([path, path2]));
        Assert.Equal(22, all.Count);

        var parts = Enumerable.Range(0, 3).Select(i =>
        {
            var r = new CorpusReader([path, path2], new CorpusReaderOptions { ShardIndex = i, ShardCount = 3 });
            return (Docs: ReadAll(r), r.Stats);
        }).ToList();
        Assert.Equal(all, parts.SelectMany(p => p.Docs).OrderBy(d => d.Ordinal));
        Assert.All(parts, p => Assert.All(p.Docs, d => Assert.Equal(parts.IndexOf(p), (int)(d.Ordinal % 3))));
        // The bad record (ordinal 7) is parsed, and counted, by its own shard only.
        Assert.Equal([0L, 1, 0], parts.Select(p => p.Stats.Skipped));
    }

    [Fact]
    public void MissingPathsAreReportedBeforeReading()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<UserInputException>(() => new CorpusReader([dir["nope.jsonl"]]));
        Assert.Equal($"{dir["nope.jsonl"]}: no such file or directory", e.Message);
        e = Assert.Throws<UserInputException>(() => new CorpusReader([dir["*.jsonl"]]));
        Assert.Contains("no corpus file matches", e.Message);
        e = Assert.Throws<UserInputException>(() => new CorpusReader([dir.Write("a.csv", "x")]));
        Assert.Contains("a.csv: unsupported corpus file type", e.Message);
        e = Assert.Throws<UserInputException>(() => new CorpusReader([dir.Path]));
        Assert.Contains("holds no corpus file", e.Message);
    }

    [Fact]
    public void CorruptCompressedStreamsAreFatalAndNameTheFile()
    {
        using var dir = new TempDir();
        var junk = new byte[4000];
        new Random(7).NextBytes(junk);
        foreach (string name in new[] { "junk.jsonl.gz", "junk.jsonl.zst" })
        {
            string path = dir.WriteBytes(name, junk);
            var e = Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([path])));
            Assert.StartsWith($"{path}: cannot read the", e.Message);
        }
    }

    [Theory]
    [InlineData("cut.jsonl.gz")]
    [InlineData("cut.jsonl.zst")]
    public void TruncatedCompressedFilesAreFatal(string name)
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        string content = string.Concat(Enumerable.Range(0, 3000).Select(i => $"{{\"text\": \"document {i} {rng.Next()} {rng.Next()}\"}}\n"));
        byte[] whole = name.EndsWith(".gz") ? TempDir.Gzip(content) : TempDir.Zstd(content);
        string path = dir.WriteBytes(name, whole[..(whole.Length / 2)]);
        var e = Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([path])));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains("truncated", e.Message);
        // A build's own files (sequences.jsonl.zst, read by report and train) go through JsonlLines: a truncated zstd
        // stream there gave "EndOfStreamException: Premature end of stream", exit 1.
        e = Assert.Throws<UserInputException>(() => JsonlLines.Read(path).Count());
        Assert.Matches(name.EndsWith(".gz")
            ? $@"^{System.Text.RegularExpressions.Regex.Escape(path)}: the gzip stream is truncated \(it ends after line \d+\); re-download or re-compress the file$"
            : $@"^{System.Text.RegularExpressions.Regex.Escape(path)}: cannot read the \w+ stream after line \d+ \(corrupt or truncated file\)", e.Message);
    }

    private static string Lines(int from, int count) =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"{{\"text\": \"document {i} {i * 7919 % 10007}\"}}\n"));

    // `gzip -n < /dev/null`: GZipStream writes nothing at all for no data.
    private static readonly byte[] EmptyGzip = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static void AssertTruncated(string path, string where)
    {
        string message = $"{path}: the gzip stream is truncated ({where}); re-download or re-compress the file";
        Assert.Equal(message, Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([path]))).Message);
        Assert.Equal(message, Assert.Throws<UserInputException>(() => JsonlLines.Read(path).Count()).Message);
    }

    [Fact]
    public void GzipCutAtALineEndOrMissingItsTrailerIsRefused()
    {
        // Both decompress without error to whole lines: only the trailer tells that documents are missing.
        using var dir = new TempDir();
        string cut = dir.WriteBytes("cut.jsonl.gz", TempDir.GzipCut(Lines(0, 2000), Lines(2000, 1000)));
        AssertTruncated(cut, "it ends after line 2000");
        byte[] whole = TempDir.Gzip(Lines(0, 3000));
        string noTrailer = dir.WriteBytes("notrailer.jsonl.gz", whole[..^8]);
        AssertTruncated(noTrailer, "it ends after line 3000");
        string halfTrailer = dir.WriteBytes("halftrailer.jsonl.gz", whole[..^4]);
        AssertTruncated(halfTrailer, "it ends after line 3000");
    }

    [Fact]
    public void EmptyOrHeaderOnlyGzipIsRefused()
    {
        using var dir = new TempDir();
        AssertTruncated(dir.WriteBytes("empty.jsonl.gz", []), "the file is empty");
        AssertTruncated(dir.WriteBytes("header.jsonl.gz", TempDir.Gzip("{\"text\": \"a\"}\n")[..10]), "its 10 bytes hold no data");
        // The gzip of nothing is complete, and holds no document.
        Assert.Empty(ReadAll(new CorpusReader([dir.WriteBytes("nothing.jsonl.gz", EmptyGzip)])));
    }

    [Fact]
    public void ConcatenatedGzipIsReadWhole()
    {
        // `cat a.gz b.gz > c.gz`: the trailer at the file's end is the last member's, not the whole data's. The members
        // span several read blocks, and the last ends without a newline (once refused as truncated).
        using var dir = new TempDir();
        string last = """{"text": "the end"}""";
        string path = dir.WriteBytes("joined.jsonl.gz", [.. TempDir.Gzip(Lines(0, 3000)), .. TempDir.Gzip(Lines(3000, 2000)), .. TempDir.Gzip(last)]);
        var docs = ReadAll(new CorpusReader([path]));
        Assert.Equal(5001, docs.Count);
        Assert.Equal("document 4999 " + 4999 * 7919 % 10007, docs[4999].Document.Text);
        Assert.Equal("the end", docs[^1].Document.Text);
        Assert.Equal(5001, JsonlLines.Read(path).Count());
        // An empty last member (a joined empty file) has the trailer of nothing.
        string emptyLast = dir.WriteBytes("emptylast.jsonl.gz", [.. TempDir.Gzip(Lines(0, 10)), .. EmptyGzip]);
        Assert.Equal(10, ReadAll(new CorpusReader([emptyLast])).Count);
    }

    [Fact]
    public void ConcatenatedGzipWithItsLastMemberCutIsRefused()
    {
        using var dir = new TempDir();
        string path = dir.WriteBytes("joined.jsonl.gz", [.. TempDir.Gzip(Lines(0, 3000)), .. TempDir.GzipCut(Lines(3000, 1500), Lines(4500, 500))]);
        AssertTruncated(path, "it ends after line 4500");
        // The first member's trailer right before a cut second member's header tells nothing either.
        string header = dir.WriteBytes("header.jsonl.gz", [.. TempDir.Gzip(Lines(0, 10)), .. TempDir.Gzip(Lines(10, 10))[..10]]);
        AssertTruncated(header, "it ends after line 10");
    }

    [Fact]
    public void AFileWithNoReadableRecordIsAnErrorAndOneWithSomeIsRead()
    {
        // A pretty-printed JSON array, or a gzip file named .jsonl, was read as all-skipped records: exit 0, empty output.
        using var dir = new TempDir();
        string array = dir.Write("array.json", "[\n  {\n    \"id\": \"a\",\n    \"text\": \"x\"\n  }\n]\n");
        var e = Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([array])));
        Assert.StartsWith($"{array}: none of its records could be read (6 not JSON lines in UTF-8; first {array}:1: ", e.Message);
        string gzipped = dir.WriteBytes("packed.jsonl", TempDir.Gzip("{\"text\": \"a\"}\n"));
        Assert.StartsWith($"{gzipped}: none of its records could be read", Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([gzipped]))).Message);
        // A few bad lines among good ones are skipped and counted, as ever; so are records that are JSON but not documents.
        string mixed = dir.Write("mixed.jsonl", "{not json\n{\"text\": \"fine\"}\n");
        Assert.Single(ReadAll(new CorpusReader([mixed])));
        string textless = dir.Write("textless.jsonl", "{\"id\": \"a\"}\n");
        Assert.Empty(ReadAll(new CorpusReader([textless])));
    }

    [Fact]
    public void GzipWithoutFinalNewlineIsComplete()
    {
        using var dir = new TempDir();
        string path = dir.WriteBytes("nonl.jsonl.gz", TempDir.Gzip("{\"text\": \"a\"}\n{\"text\": \"b\"}"));
        Assert.Equal(2, ReadAll(new CorpusReader([path])).Count);
    }

    [Fact]
    public void BadParquetFilesAreFatalAndNameTheFile()
    {
        using var dir = new TempDir();
        string junk = dir.Write("junk.parquet", "this is not parquet at all, not even close");
        var e = Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([junk])));
        Assert.StartsWith($"{junk}: not a readable Parquet file", e.Message);

        string noText = dir["notext.parquet"];
        var schema = new ParquetSchema(new DataField<string>("body"), new DataField<long>("id"));
        WriteRows(noText, schema, async rg =>
        {
            await rg.WriteAsync(schema.DataFields[0], new[] { "x" });
            await rg.WriteAsync<long>(schema.DataFields[1], new long[] { 1 });
        });
        e = Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([noText])));
        Assert.Equal($"{noText}: no \"text\" column (columns: body, id)", e.Message);

        string intText = dir["inttext.parquet"];
        var schema2 = new ParquetSchema(new DataField<int>("text"));
        WriteRows(intText, schema2, async rg => await rg.WriteAsync<int>(schema2.DataFields[0], new[] { 1 }));
        e = Assert.Throws<UserInputException>(() => ReadAll(new CorpusReader([intText])));
        Assert.Equal($"{intText}: the \"text\" column is of type Int32, not a string column", e.Message);
    }

    internal static void WriteParquet(string path, string?[] texts, long[]? ids, string?[]? secondGroup = null)
    {
        var fields = new List<Field> { new DataField<string>("text", true) };
        if (ids is not null) fields.Add(new DataField<long>("id"));
        var schema = new ParquetSchema(fields);
        WriteRows(path, schema, async rg =>
        {
            await rg.WriteAsync(schema.DataFields[0], texts!);
            if (ids is not null) await rg.WriteAsync<long>(schema.DataFields[1], ids);
        }, secondGroup is null ? null : async rg => await rg.WriteAsync(schema.DataFields[0], secondGroup!));
    }

    internal static void WriteRows(string path, ParquetSchema schema, params Func<ParquetRowGroupWriter, Task>?[] groups)
    {
        Task.Run(async () =>
        {
            using var fs = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(schema, fs);
            foreach (var group in groups)
            {
                if (group is null) continue;
                using var rg = writer.CreateRowGroup();
                await group(rg);
            }
        }).GetAwaiter().GetResult();
    }
}
