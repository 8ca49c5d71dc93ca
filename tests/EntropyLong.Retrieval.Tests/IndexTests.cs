using EntropyLong.Core;

namespace EntropyLong.Retrieval.Tests;

public class IndexTests
{
    private static readonly IndexBuildOptions Small = new() { MaxChars = 120, CommitChunks = 64 };

    private static float[] Query(IEmbedder e, string text) => e.Embed([text], asQuery: true)[0];

    [Fact]
    public void BuildsAndFindsTheChunkWithTheSameWords()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        var docs = FakeEmbedder.Corpus(300);
        var result = IndexBuilder.Build(dir.Path, docs, embedder, Small);
        Assert.Equal(300, result.Documents);
        using var index = ChunkIndex.Open(dir.Path, embedder);
        Assert.True(index.HasHnsw);
        Assert.Equal(docs.Sum(d => TextChunker.Chunk(d, 120).Count), index.Count);

        var target = TextChunker.Chunk(docs[123], 120)[0];
        var hits = index.Search(Query(embedder, target.Text), 5);
        var best = index.GetChunk(hits[0].Key);
        Assert.Equal(target, best);
        Assert.Equal(1f, hits[0].Score, 3);
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public void SaveAndReopenGiveIdenticalResults()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        var docs = FakeEmbedder.Corpus(400);
        var chunks = docs.SelectMany(d => TextChunker.Chunk(d, 120)).ToList();
        var vectors = new float[chunks.Count * embedder.Dimension];
        embedder.Embed(chunks.Select(c => c.Text).ToList(), false, vectors);

        // The graph in RAM, before saving ...
        var queries = FakeEmbedder.Corpus(30, seed: 9).Select(d => Query(embedder, d.Text)).ToList();
        string path = dir.Sub("g.usearch");
        List<(ulong[], float[])> before;
        using (var graph = HnswGraph.Create(embedder.Dimension, new HnswSettings()))
        {
            graph.AddRange(0, vectors, threads: 2);
            before = queries.Select(q => Search(graph, q)).ToList();
            graph.Save(path);
        }
        // ... and memory-mapped from disk after.
        using (var viewed = HnswGraph.Open(path, view: true))
        {
            viewed.ExpansionSearch = new HnswSettings().ExpansionSearch;
            var after = queries.Select(q => Search(viewed, q)).ToList();
            for (int i = 0; i < queries.Count; i++)
            {
                Assert.Equal(before[i].Item1, after[i].Item1);
                Assert.Equal(before[i].Item2, after[i].Item2);
            }
        }

        // The same through ChunkIndex: two independent opens of a built folder agree exactly.
        IndexBuilder.Build(dir.Sub("idx"), docs, embedder, Small);
        using var a = ChunkIndex.Open(dir.Sub("idx"));
        using var b = ChunkIndex.Open(dir.Sub("idx"));
        foreach (var q in queries)
            Assert.Equal(a.Search(q, 32), b.Search(q, 32));
    }

    [Fact]
    public void OneInsertionThreadBuildsTheSameGraphEveryTime()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        var docs = FakeEmbedder.Corpus(1500); // more vectors than one insertion block of 1,024, so threads would matter
        var serial = Small with { Threads = 1 };
        IndexBuilder.Build(dir.Sub("a"), docs, embedder, serial);
        IndexBuilder.Build(dir.Sub("b"), docs, embedder, serial);
        var graphs = Directory.GetFiles(dir.Sub("a"), "*.usearch");
        Assert.Single(graphs);
        Assert.Equal(File.ReadAllBytes(graphs[0]), File.ReadAllBytes(Path.Combine(dir.Sub("b"), Path.GetFileName(graphs[0]))));
    }

    private static (ulong[], float[]) Search(HnswGraph g, float[] q)
    {
        var keys = new ulong[32];
        var dist = new float[32];
        int n = g.Search(q, keys, dist);
        return (keys[..n], dist[..n]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AQueryForADocumentNeverReturnsItsChunksNorCopiesOfThem(bool exact)
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        string passage = "entropy anchor query vector graph token chunk";
        var docs = new List<Document>
        {
            new("D", $"{passage}\nriver stone cloud signal", "c:1"),
            new("copy", $"unrelated words here and there\n{passage}", "c:2"),
            new("near", "entropy anchor query vector graph token", "c:3"),
        };
        docs.AddRange(FakeEmbedder.Corpus(200));
        IndexBuilder.Build(dir.Path, docs, embedder, new IndexBuildOptions { MaxChars = 60 });
        using var index = ChunkIndex.Open(dir.Path);
        var q = Query(embedder, passage);

        var unfiltered = index.Search(q, 10, exact: exact).Select(h => index.GetChunk(h.Key)).ToList();
        Assert.Contains(unfiltered, c => c.DocumentId == "D");
        Assert.Contains(unfiltered, c => c.DocumentId == "copy" && c.Text == passage);

        var exclusion = index.ExclusionFor(docs[0]);
        var hits = index.Search(q, 10, exclusion, exact).Select(h => index.GetChunk(h.Key)).ToList();
        Assert.Equal(10, hits.Count); // the filter does not shrink the answer
        Assert.DoesNotContain(hits, c => c.DocumentId == "D");
        Assert.DoesNotContain(hits, c => c.Text == passage);
        Assert.Equal("near", hits[0].DocumentId);
        // copy's other chunk is fair game.
        Assert.Contains(TextChunker.Chunk(docs[1], 60), c => c.Text != passage);

        // By id, with the texts of its chunks read back from the index (search --exclude-doc): the same answer.
        var byId = index.Search(q, 10, Exclusion.ForChunks("D", index.DocumentChunkTexts("D")), exact).Select(h => index.GetChunk(h.Key));
        Assert.Equal(hits, byId);
        Assert.Empty(index.DocumentChunkTexts("no such document"));
    }

    [Fact]
    public void ExactAndGraphAgreeOnASmallIndex()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(200), embedder, Small);
        using var index = ChunkIndex.Open(dir.Path);
        foreach (var d in FakeEmbedder.Corpus(10, seed: 5))
        {
            var q = Query(embedder, d.Text);
            var exact = index.Search(q, 5, exact: true);
            var graph = index.Search(q, 5);
            // Bag-of-words vectors tie often; tied hits may come in either order.
            Assert.Equal(exact.Select(h => h.Score), graph.Select(h => h.Score), (x, y) => Math.Abs(x - y) < 1e-5);
            float cut = exact[^1].Score + 1e-5f;
            Assert.Equal(exact.Where(h => h.Score > cut).Select(h => h.Key).Order(), graph.Where(h => h.Score > cut).Select(h => h.Key).Order());
        }
    }

    [Fact]
    public void ReRunningReusesWorkAndAppendsNewDocuments()
    {
        using var dir = new TempDir();
        var docs = FakeEmbedder.Corpus(150);
        var first = new FakeEmbedder();
        IndexBuilder.Build(dir.Path, docs.Take(100), first, Small);

        var second = new FakeEmbedder();
        var again = IndexBuilder.Build(dir.Path, docs.Take(100), second, Small);
        Assert.Equal(0, second.Texts);
        Assert.Equal(0, again.ChunksEmbedded);
        Assert.Equal(0, again.GraphVectorsAdded);

        var third = new FakeEmbedder();
        var grown = IndexBuilder.Build(dir.Path, docs, third, Small);
        int newChunks = docs.Skip(100).Sum(d => TextChunker.Chunk(d, 120).Count);
        Assert.Equal(newChunks, third.Texts);
        Assert.Equal(newChunks, grown.GraphVectorsAdded);

        using var fresh = new TempDir();
        IndexBuilder.Build(fresh.Path, docs, new FakeEmbedder(), Small);
        using var a = ChunkIndex.Open(dir.Path);
        using var b = ChunkIndex.Open(fresh.Path);
        Assert.Equal(b.Count, a.Count);
        for (ulong k = 0; k < (ulong)a.Count; k += 7) Assert.Equal(b.GetChunk(k), a.GetChunk(k));
        var q = Query(third, docs[140].Text);
        Assert.Equal(b.Search(q, 10, exact: true), a.Search(q, 10, exact: true));
        Assert.Equal(b.Search(q, 1)[0].Score, a.Search(q, 1)[0].Score, 5);
    }

    [Fact]
    public void ReRunningOnACorpusWhoseTextChangedIsRefused()
    {
        using var dir = new TempDir();
        var docs = FakeEmbedder.Corpus(100);
        IndexBuilder.Build(dir.Path, docs, new FakeEmbedder(), Small);
        // Same ids and count, one text edited in the middle: the index kept the old text and embedding, and said nothing.
        var edited = docs.Select((d, i) => i == 40 ? d with { Text = d.Text + " edited" } : d).ToList();
        var e = Assert.Throws<UserInputException>(() => IndexBuilder.Build(dir.Path, edited, new FakeEmbedder(), Small));
        Assert.Contains("the ids of the first 100 documents match", e.Message);
        Assert.Contains("but their text does not", e.Message);
        var unchanged = new FakeEmbedder();
        IndexBuilder.Build(dir.Path, docs, unchanged, Small);
        Assert.Equal(0, unchanged.Texts);
    }

    [Fact]
    public void ARepeatedIdIsLeftOutAlsoAcrossAResumedRun()
    {
        // Both documents of an id were indexed, so one chunk id named two texts (and build placed both under it).
        using var dir = new TempDir();
        var docs = FakeEmbedder.Corpus(60);
        var repeated = docs.Take(40).Append(docs[3] with { Text = "another text under a used id" }).Concat(docs.Skip(40))
            .Append(docs[45] with { Text = "and one more" }).ToList();
        var first = IndexBuilder.Build(dir.Path, repeated.Take(30), new FakeEmbedder(), Small);
        Assert.Equal(0, first.RepeatedIds);
        var result = IndexBuilder.Build(dir.Path, repeated, new FakeEmbedder(), Small);
        Assert.Equal(2, result.RepeatedIds);
        Assert.Equal(repeated.Count, result.Documents); // positions kept: a rerun reuses them all
        using var index = ChunkIndex.Open(dir.Path);
        var expected = docs.SelectMany(d => TextChunker.Chunk(d, 120)).ToList();
        Assert.Equal(expected, Enumerable.Range(0, (int)index.Count).Select(k => index.GetChunk((ulong)k)));
        var again = new FakeEmbedder();
        Assert.Equal(0, IndexBuilder.Build(dir.Path, repeated, again, Small).ChunksEmbedded);
    }

    [Fact]
    public void AnInterruptedBuildResumesWithoutLosingOrDuplicatingChunks()
    {
        using var dir = new TempDir();
        var docs = FakeEmbedder.Corpus(200);
        IEnumerable<Document> Dying()
        {
            foreach (var (d, i) in docs.Select((d, i) => (d, i)))
            {
                if (i == 130) throw new IOException("disk went away");
                yield return d;
            }
        }
        Assert.Throws<IOException>(() => IndexBuilder.Build(dir.Path, Dying(), new FakeEmbedder(), Small));
        var partial = IndexManifest.TryRead(dir.Path)!;
        Assert.InRange(partial.Documents, 1, 129);
        Assert.Null(partial.Hnsw);

        var embedder = new FakeEmbedder();
        var result = IndexBuilder.Build(dir.Path, docs, embedder, Small);
        Assert.Equal(200, result.Documents);
        Assert.Equal(partial.Documents, result.DocumentsReused);
        using var index = ChunkIndex.Open(dir.Path);
        var expected = docs.SelectMany(d => TextChunker.Chunk(d, 120)).ToList();
        Assert.Equal(expected.Count, index.Count);
        for (int k = 0; k < expected.Count; k++) Assert.Equal(expected[k], index.GetChunk((ulong)k));
    }

    [Fact]
    public void AVeryLongDocumentIsEmbeddedInBatchesAndCommittedWhole()
    {
        using var dir = new TempDir();
        static string Lines(int count, string topic) =>
            string.Join('\n', Enumerable.Range(0, count).Select(i => $"line {i} of a document about {topic}, long enough to fill most of one chunk of the index"));
        var docs = Enumerable.Range(0, 6).Select(i => new Document($"doc{i}", Lines(8, $"topic {i}"), $"corpus.jsonl:{i + 1}")).ToList();
        docs.Insert(3, new Document("long", Lines(400, "rivers and stones"), "corpus.jsonl:4"));
        var options = Small with { CommitChunks = 4 };
        Assert.All(docs.Take(3), d => Assert.True(TextChunker.Chunk(d, options.MaxChars).Count >= options.CommitChunks));
        Assert.True(TextChunker.Chunk(docs[3], options.MaxChars).Count > 40 * options.CommitChunks);

        // Killed inside the long document: what it embedded of it is not committed.
        var dying = new DyingEmbedder(new FakeEmbedder(), callsBeforeFailure: 20);
        var reports = new List<IndexBuildProgress>();
        Assert.Throws<IOException>(() => IndexBuilder.Build(dir.Path, docs, dying, options, new SyncReports(reports)));
        Assert.True(dying.Largest <= options.CommitChunks, $"a call embedded {dying.Largest} chunks");
        var partial = IndexManifest.TryRead(dir.Path)!;
        Assert.Equal(3, partial.Documents);
        Assert.True(reports.Count(r => r.Phase == "embed" && r.Documents == 3) >= 3, "progress moves inside the long document");

        IndexBuilder.Build(dir.Path, docs, new FakeEmbedder(), options);
        using var index = ChunkIndex.Open(dir.Path);
        var expected = docs.SelectMany(d => TextChunker.Chunk(d, options.MaxChars)).ToList();
        Assert.Equal(expected.Count, index.Count);
        for (int k = 0; k < expected.Count; k++) Assert.Equal(expected[k], index.GetChunk((ulong)k));
    }

    private sealed class DyingEmbedder(IEmbedder inner, int callsBeforeFailure) : IEmbedder
    {
        private int _calls;
        public int Largest { get; private set; }
        public int Dimension => inner.Dimension;
        public string ModelId => inner.ModelId;

        public void Embed(IReadOnlyList<string> texts, bool asQuery, Span<float> destination)
        {
            if (_calls++ == callsBeforeFailure) throw new IOException("disk went away");
            Largest = Math.Max(Largest, texts.Count);
            inner.Embed(texts, asQuery, destination);
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class SyncReports(List<IndexBuildProgress> reports) : IProgress<IndexBuildProgress>
    {
        public void Report(IndexBuildProgress value) => reports.Add(value);
    }

    [Fact]
    public void AnIndexFolderWithoutAGraphSearchesExactly()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        IndexBuilder.Build(dir.Path, FakeEmbedder.Corpus(50), embedder, Small with { BuildHnsw = false });
        Assert.False(File.Exists(dir.Sub(HnswFileInfo.FileName)));
        using var index = ChunkIndex.Open(dir.Path);
        Assert.False(index.HasHnsw);
        Assert.Equal(5, index.Search(Query(embedder, "alpha1 beta2"), 5).Length);
    }
}

public class IndexRetrieverTests
{
    [Fact]
    public void RetrievesKPerQueryInOrderAndNeverTheDocumentItself()
    {
        using var dir = new TempDir();
        var embedder = new FakeEmbedder();
        var docs = FakeEmbedder.Corpus(200);
        IndexBuilder.Build(dir.Path, docs, embedder, new IndexBuildOptions { MaxChars = 120 });
        using var index = ChunkIndex.Open(dir.Path, embedder);
        var retriever = new IndexRetriever(index, embedder);
        var doc = docs[17];
        var queries = TextChunker.Chunk(doc, 120).Select(c => c.Text).Append("alpha1 beta2")
            .Select(q => new RetrievalQuery(q, doc.Id, doc.Text)).ToList();
        var results = retriever.Retrieve(queries, 32);
        Assert.Equal(queries.Count, results.Count);
        Assert.All(results, hits => Assert.Equal(32, hits.Count));
        Assert.All(results.SelectMany(h => h), h => Assert.NotEqual(doc.Id, h.DocumentId));
        Assert.All(results.SelectMany(h => h), h => Assert.Equal(index.GetChunk((ulong)h.Key).Text, h.Text));
        var single = retriever.Retrieve([queries[^1]], 32)[0];
        Assert.Equal(single, results[^1]);
    }
}
