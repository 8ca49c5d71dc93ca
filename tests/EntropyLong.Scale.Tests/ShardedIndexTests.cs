using System.Numerics.Tensors;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Pipeline.Tasks;
using EntropyLong.Retrieval;
using EntropyLong.TestSupport;

namespace EntropyLong.Scale.Tests;

public class ShardedIndexTests : IDisposable
{
    private readonly string _dir = Scratch.NewPath("sharded-index");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Hashed bag of words: instant and deterministic; texts sharing words get similar vectors.</summary>
    private sealed class WordsEmbedder : IEmbedder
    {
        public int Dimension => 32;
        public string ModelId => "words/32";
        public void Embed(IReadOnlyList<string> texts, bool asQuery, Span<float> destination)
        {
            destination.Clear();
            for (int i = 0; i < texts.Count; i++)
            {
                var row = destination.Slice(i * Dimension, Dimension);
                foreach (var w in texts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)) row[(int)(StableHash.Of(w, 7) % (ulong)Dimension)] += 1;
                row[0] += 0.01f;
                TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
            }
        }
        public void Dispose() { }
    }

    private static readonly string[] Words = ["river", "stone", "cloud", "signal", "vector", "graph", "token", "anchor", "query", "model", "train", "corpus"];

    private static List<Document> Corpus()
    {
        var rng = new Random(3);
        var docs = Enumerable.Range(0, 60).Select(i => new Document($"d{i}",
            string.Join(' ', Enumerable.Range(0, rng.Next(6, 30)).Select(_ => Words[rng.Next(Words.Length)])), "")).ToList();
        docs[50] = docs[50] with { Text = docs[3].Text }; // a copy of d3 under another id, in another shard
        return docs;
    }

    [Fact]
    public void FanOutEqualsOneIndexAndExcludesCopiesInOtherShards()
    {
        var docs = Corpus();
        var embedder = new WordsEmbedder();
        var options = new IndexBuildOptions { MaxChars = 60 };
        IndexBuilder.Build(Path.Combine(_dir, "one"), docs, embedder, options);
        string sharded = Path.Combine(_dir, "sharded");
        var parts = new[] { docs[..20], docs[20..45], docs[45..] };
        Directory.CreateDirectory(sharded);
        File.WriteAllBytes(Path.Combine(sharded, ShardedIndex.FileName), ShardedIndex.ManifestBytes(parts.Length));
        var store = new TaskStore(sharded);
        for (int s = 0; s < parts.Length; s++)
        {
            var part = parts[s];
            Assert.Equal(TaskOutcome.Done, store.RunInPlace(BuildFolder.IndexShard(s), d => IndexBuilder.Build(d, part, embedder, options), out _));
        }

        using var one = ChunkIndex.Open(Path.Combine(_dir, "one"), embedder);
        using var shards = ShardedIndex.Open(sharded, embedder);
        Assert.Equal(one.Count, shards.Count);
        var queries = docs.Take(12).Select(d => new RetrievalQuery(d.Text[..Math.Min(30, d.Text.Length)], d.Id, d.Text)).ToList();
        var expected = new IndexRetriever(one, embedder, exact: true).Retrieve(queries, 8);
        var actual = new ShardedRetriever(shards, embedder, exact: true).Retrieve(queries, 8);
        for (int q = 0; q < queries.Count; q++)
        {
            // Same scores; the same chunks wherever the k-th score does not tie (one index's heap breaks those ties its own way).
            Assert.Equal(expected[q].Select(c => c.Score), actual[q].Select(c => c.Score));
            float last = actual[q][^1].Score;
            Assert.Equal(expected[q].Where(c => c.Score > last).Select(c => c.ChunkId), actual[q].Where(c => c.Score > last).Select(c => c.ChunkId));
            Assert.DoesNotContain(actual[q], c => c.DocumentId == queries[q].DocumentId);
        }
        Assert.DoesNotContain(actual[3], c => c.DocumentId == "d50");
        Assert.Contains(actual.SelectMany(r => r), c => c.Key >> ShardedRetriever.KeyBits == 2);
        var approximate = new ShardedRetriever(shards, embedder).Retrieve(queries, 8);
        Assert.True(approximate.Zip(actual).Average(p => p.First.Select(c => c.ChunkId).Intersect(p.Second.Select(c => c.ChunkId)).Count() / 8.0) > 0.9);
    }

    [Fact]
    public void AnUnfinishedShardIsNamed()
    {
        string sharded = Path.Combine(_dir, "s");
        Directory.CreateDirectory(sharded);
        File.WriteAllBytes(Path.Combine(sharded, ShardedIndex.FileName), ShardedIndex.ManifestBytes(2));
        var e = Assert.Throws<UserInputException>(() => ShardedIndex.Open(sharded));
        Assert.Contains("2 of 2 index shards are unfinished (first: shard-0000)", e.Message);
    }
}
