using System.Text.Json.Nodes;
using EntropyLong.Core;

namespace EntropyLong.Retrieval.Tests;

public class BadInputTests
{
    private static readonly IndexBuildOptions Small = new() { MaxChars = 120 };

    private static TempDir Built(out FakeEmbedder embedder, int docs = 60)
    {
        var dir = new TempDir();
        embedder = new FakeEmbedder();
        IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(docs), embedder, Small);
        return dir;
    }

    [Fact]
    public void AMissingIndexFolderIsNamed()
    {
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open("/nonexistent/idx"));
        Assert.Contains("/nonexistent/idx", e.Message);
    }

    [Fact]
    public void AFolderThatIsNotAnIndexIsNamed()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path));
        Assert.Contains("index.json", e.Message);
    }

    [Fact]
    public void AnotherModelIsRefusedForSearchAndForBuilding()
    {
        using var dir = Built(out _);
        var other = new FakeEmbedder(64, "other-model");
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path, other));
        Assert.Contains("other-model", e.Message);
        Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(60), other, Small));
    }

    [Fact]
    public void AnotherDimensionIsRefused()
    {
        using var dir = Built(out _);
        var wider = new FakeEmbedder(128);
        var e = Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(60), wider, Small));
        Assert.Contains("128", e.Message);
        Assert.Contains("64", e.Message);
    }

    [Fact]
    public void AnotherChunkSizeIsRefused()
    {
        using var dir = Built(out var embedder);
        var e = Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(60), embedder, Small with { MaxChars = 300 }));
        Assert.Contains("--max-chars", e.Message);
    }

    private const string Remedy = "; the file was edited or damaged: restore it, or build the index again in a new folder";

    /// <summary>index.json with one key (a.b for a nested one) set to <paramref name="json"/>, or removed when null.</summary>
    private static void Edit(string path, string key, string? json)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        string[] parts = key.Split('.');
        var owner = parts.Length == 1 ? root : root[parts[0]]!.AsObject();
        if (json is null) owner.Remove(parts[^1]);
        else owner[parts[^1]] = JsonNode.Parse(json);
        File.WriteAllText(path, root.ToJsonString());
    }

    [Theory]
    [InlineData("chunks", null, "\"chunks\" is missing")]
    [InlineData("format", null, "\"format\" is missing")]
    [InlineData("hnsw.expansionSearch", null, "\"hnsw.expansionSearch\" is missing")]
    [InlineData("lastDocumentId", null, "\"lastDocumentId\" is missing, but \"documents\" is 60")]
    [InlineData("dimension", "0", "\"dimension\" is 0, not a whole number of at least 1")]
    [InlineData("dimension", "\"64\"", "\"dimension\" is \"64\", not a whole number of at least 1")]
    [InlineData("dimension", "10000000000", "\"dimension\" is 10000000000, not a whole number from 1 to 2147483647")]
    [InlineData("dimension", "32", "\"dimension\" is 32, but model 'fake-bow/64', which built the index, gives 64-dimensional vectors")]
    [InlineData("maxChars", "-1", "\"maxChars\" is -1, not a whole number of at least 1")]
    [InlineData("chunks", "-1", "\"chunks\" is -1, not a whole number of at least 0")]
    [InlineData("chunks", "1", "\"hnsw.vectors\" is CHUNKS, more than \"chunks\" (1)")]
    [InlineData("model", "5", "\"model\" is 5, not a non-empty string")]
    [InlineData("corpusSha256", "\"abc\"", "\"corpusSha256\" is \"abc\", not a SHA-256 (64 lowercase hex digits)")]
    [InlineData("hnsw", "[1, 2]", "\"hnsw\" is a list, not an object")]
    [InlineData("hnsw.expansionSearch", "-5", "\"hnsw.expansionSearch\" is -5, not a whole number of at least 1")]
    [InlineData("hnsw.fingerprint", "7", "\"hnsw.fingerprint\" is 7, not a non-empty string")]
    [InlineData("dataBytes", "-1", "\"dataBytes\" is -1, not a whole number of at least 0")]
    public void AnEditedManifestIsRefusedNamingTheKeyForSearchAndForBuilding(string key, string? json, string problem)
    {
        using var dir = Built(out var embedder);
        string path = dir.Sub(IndexManifest.FileName);
        long chunks = IndexManifest.TryRead(dir.Path)!.Chunks;
        Edit(path, key, json);
        string expected = $"{path}: {problem.Replace("CHUNKS", chunks.ToString())}{Remedy}";
        Assert.Equal(expected, Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path, embedder)).Message);
        Assert.Equal(expected, Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(60), embedder, Small)).Message);
    }

    [Fact]
    public void ADataLengthTooSmallIsRefusedOnOpeningNotMetAsChunksAFilteredSearchSkips()
    {
        using var dir = Built(out var embedder);
        long chunks = IndexManifest.TryRead(dir.Path)!.Chunks;
        Edit(dir.Sub(IndexManifest.FileName), "dataBytes", "0");
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path, embedder));
        Assert.Equal($"{dir.Sub("chunks.rec")}: row {chunks - 1} points outside the 0 bytes of chunks.dat that index.json records (\"dataBytes\"); " +
                     "the index folder is damaged, build the index again in a new folder", e.Message);
    }

    [Fact]
    public void AManifestThatIsNotAJsonObjectIsRefusedWholly()
    {
        using var dir = Built(out _);
        string path = dir.Sub(IndexManifest.FileName);
        string whole = File.ReadAllText(path);
        File.WriteAllText(path, whole[..(whole.IndexOf("\"chunks\"", StringComparison.Ordinal) + 4)]);
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:\d+: not an index manifest \(.+\){System.Text.RegularExpressions.Regex.Escape(Remedy)}$",
            Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path)).Message);
        foreach (var (text, problem) in new[] { ("", "empty"), ("null", "holds null, not a JSON object"), ("[]", "holds a list, not a JSON object") })
        {
            File.WriteAllText(path, text);
            Assert.Equal($"{path}: {problem}{Remedy}", Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path)).Message);
        }
        File.WriteAllText(path, whole.Replace("\"format\": 1,", "\"format\": 1, \"format\": 1,"));
        Assert.StartsWith($"{path}: not an index manifest (Duplicate property 'format'", Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path)).Message);
    }

    [Theory]
    [InlineData("{\"shards\": \"4\"}", "\"shards\" is \"4\", not a whole number of at least 1")]
    [InlineData("{\"shards\": 0}", "\"shards\" is 0, not a whole number of at least 1")]
    [InlineData("{\"format\": 1}", "\"shards\" is missing")]
    public void AnEditedShardManifestIsRefusedNamingTheKey(string text, string problem)
    {
        using var dir = new TempDir();
        string path = dir.Sub(ShardedIndex.FileName);
        File.WriteAllText(path, text);
        Assert.Equal($"{path}: {problem}{Remedy}", Assert.Throws<UserInputException>(() => ShardedIndex.Open(dir.Path)).Message);
    }

    [Fact]
    public void ACorruptGraphFileIsReportedNotMapped()
    {
        using var dir = Built(out _);
        string path = dir.Sub(HnswFileInfo.FileName);
        using (var fs = File.OpenWrite(path))
        {
            fs.Position = fs.Length / 2;
            fs.Write(Enumerable.Repeat((byte)0xA5, 64).ToArray());
        }
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path));
        Assert.Contains("corrupt", e.Message);
        Assert.Contains(HnswFileInfo.FileName, e.Message);
    }

    [Fact]
    public void ChunkRowsOverwrittenWithRandomBytesAreReportedNotRead()
    {
        using var dir = Built(out _);
        string path = dir.Sub("chunks.rec");
        var noise = new byte[new FileInfo(path).Length];
        new Random(7).NextBytes(noise);
        File.WriteAllBytes(path, noise);
        // The last row is checked on opening.
        long last = noise.Length / ChunkRecord.Size - 1;
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path));
        Assert.Equal($"{path}: row {last} points outside the {new FileInfo(dir.Sub("chunks.dat")).Length} bytes of chunks.dat that index.json records (\"dataBytes\"); " +
                     "the index folder is damaged, build the index again in a new folder", e.Message);
    }

    [Fact]
    public void ATruncatedGraphOrChunkFileIsReported()
    {
        using var dir = Built(out _);
        File.WriteAllBytes(dir.Sub(HnswFileInfo.FileName), new byte[100]);
        Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path));

        using var dir2 = Built(out _);
        using (var fs = File.OpenWrite(dir2.Sub(ChunkFiles.Records))) fs.SetLength(10);
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir2.Path));
        Assert.Contains(ChunkFiles.Records, e.Message);
    }

    [Fact]
    public void AGraphFileFromAnotherIndexIsRefused()
    {
        using var a = Built(out _);
        using var b = Built(out _, docs: 90);
        File.Copy(b.Sub(HnswFileInfo.FileName), a.Sub(HnswFileInfo.FileName), overwrite: true);
        Assert.Throws<UserInputException>(() => ChunkIndex.Open(a.Path));
    }

    [Fact]
    public void AChangedCorpusIsRefusedOnResume()
    {
        using var dir = Built(out var embedder);
        var changed = FakeEmbedder.Corpus(60).Select((d, i) => d with { Id = $"other{i}" });
        var e = Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, changed, embedder, Small));
        Assert.Contains("corpus changed", e.Message);
        var shorter = Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(20), embedder, Small));
        Assert.Contains("only 20", shorter.Message);
    }

    [Fact]
    public void AModelFolderWithoutItsFilesIsNamed()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<UserInputException>(() => OnnxEmbedder.Open(new EmbeddingModelOptions { ModelDirectory = dir.Path }));
        Assert.Contains("model.onnx", e.Message);
        File.WriteAllText(dir.Sub("model.onnx"), "not a model");
        File.WriteAllText(dir.Sub("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
        var bad = Assert.Throws<UserInputException>(() => OnnxEmbedder.Open(new EmbeddingModelOptions { ModelDirectory = dir.Path }));
        Assert.Contains("ONNX Runtime cannot load", bad.Message);
    }
}
