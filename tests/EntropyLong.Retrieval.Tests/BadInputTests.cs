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
        using var index = ChunkIndex.Open(dir.Path);
        var e = Assert.Throws<UserInputException>(() => index.GetChunk(0));
        Assert.Equal($"{path}: row 0 points outside chunks.dat; the index file is corrupt, build the index again in a new folder", e.Message);
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
