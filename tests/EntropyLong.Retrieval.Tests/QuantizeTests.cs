using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using EntropyLong.Core;

namespace EntropyLong.Retrieval.Tests;

public class QuantizeTests
{
    private static readonly IndexBuildOptions Small = new() { MaxChars = 120, CommitChunks = 64, Threads = 1 };

    private static IndexBuildOptions With(ScalarKind kind) => Small with { Hnsw = new HnswSettings { Quantization = kind } };

    [Theory]
    [InlineData("f16", "Float16")]
    [InlineData("i8", "Int8")]
    public void AQuantizedGraphIsRecordedInTheManifestAndSearchedFromItsReopenedFile(string name, string recorded)
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        var docs = FakeEmbedder.Corpus(300);
        IndexBuilder.Build(dir.Sub("f32"), docs, embedder, Small);
        IndexBuilder.Build(dir.Sub(name), docs, embedder, With(Quantizations.ByName[name]));

        var manifest = IndexManifest.TryRead(dir.Sub(name))!;
        Assert.Equal(recorded, manifest.Hnsw!.Quantization);
        Assert.Equal("Float32", IndexManifest.TryRead(dir.Sub("f32"))!.Hnsw!.Quantization);
        // Coordinates take 2 (f16) or 1 (i8) byte instead of 4; links and keys stay.
        long f32Bytes = new FileInfo(Path.Combine(dir.Sub("f32"), HnswFileInfo.FileName)).Length;
        Assert.Equal(manifest.Hnsw.FileBytes, new FileInfo(Path.Combine(dir.Sub(name), HnswFileInfo.FileName)).Length);
        Assert.True(manifest.Hnsw.FileBytes < f32Bytes, $"{name} graph {manifest.Hnsw.FileBytes} bytes, f32 {f32Bytes}");

        using var index = ChunkIndex.Open(dir.Sub(name), embedder);
        Assert.True(index.HasHnsw);
        int found = 0, total = 0;
        foreach (var d in FakeEmbedder.Corpus(20, seed: 5))
        {
            var q = embedder.Embed([d.Text], asQuery: true)[0];
            var exact = index.Search(q, 5, exact: true);
            var graph = index.Search(q, 5);
            Assert.Equal(exact.Length, graph.Length); // i8 asks the graph for more candidates, and keeps 5
            // Hits are rescored from the float32 vectors: exact cosines, best first.
            foreach (var h in graph)
                Assert.Equal(TensorPrimitives.Dot(q, embedder.Embed([index.GetChunk(h.Key).Text], asQuery: false)[0]), h.Score, 5);
            Assert.True(graph.Zip(graph.Skip(1)).All(p => p.First.Score >= p.Second.Score));
            // The approximate graph may miss a chunk; count the exact top-5 scores it reached (ties make keys ambiguous).
            float cut = exact[^1].Score - 1e-5f;
            found += graph.Count(h => h.Score >= cut);
            total += exact.Length;
        }
        Assert.True(found >= 0.9 * total, $"{name}: {found} of {total} exact hits found");
    }

    [Fact]
    public void ReIndexingWithAnotherQuantizationRebuildsTheGraph()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        var docs = FakeEmbedder.Corpus(100);
        IndexBuilder.Build(dir.Path, docs, embedder, With(ScalarKind.Int8));
        long i8Bytes = IndexManifest.TryRead(dir.Path)!.Hnsw!.FileBytes;
        IndexBuilder.Build(dir.Path, docs, embedder, Small);
        var manifest = IndexManifest.TryRead(dir.Path)!;
        Assert.Equal("Float32", manifest.Hnsw!.Quantization);
        Assert.True(manifest.Hnsw.FileBytes > i8Bytes);
        using var index = ChunkIndex.Open(dir.Path, embedder);
        Assert.Equal(index.Count, manifest.Hnsw.Vectors);
    }

    [Fact]
    public void AManifestWithoutTheKeyHoldsAFloat32Graph()
    {
        // Indexes written before quantization existed have no "quantization" key.
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(30), embedder, Small);
        string path = dir.Sub(IndexManifest.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"quantization\": \"Float32\",", ""));
        Assert.DoesNotContain("quantization", File.ReadAllText(path));
        Assert.Equal("Float32", IndexManifest.TryRead(dir.Path)!.Hnsw!.Quantization);
        using var index = ChunkIndex.Open(dir.Path, embedder);
        Assert.True(index.HasHnsw);
    }

    [Fact]
    public void AnUnknownQuantizationInTheManifestIsNamed()
    {
        using var dir = new TempDir();
        IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(30), new FakeEmbedder(), With(ScalarKind.Int8));
        string path = dir.Sub(IndexManifest.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Int8\"", "\"Int4\""));
        var e = Assert.Throws<UserInputException>(() => ChunkIndex.Open(dir.Path));
        Assert.Contains(IndexManifest.FileName, e.Message);
        Assert.Contains("'Int4'", e.Message);
    }
}
