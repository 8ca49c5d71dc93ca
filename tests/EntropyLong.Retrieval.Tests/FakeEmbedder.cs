using System.Numerics.Tensors;
using EntropyLong.Core;

namespace EntropyLong.Retrieval.Tests;

/// <summary>Hashed bag of words: deterministic, instant, and texts sharing words get similar vectors.</summary>
internal sealed class FakeEmbedder(int dimension = 64, string modelId = "fake-bow") : IEmbedder
{
    public int Dimension => dimension;
    public string ModelId => $"{modelId}/{dimension}";
    public int Calls { get; private set; }
    public int Texts { get; private set; }

    public void Embed(IReadOnlyList<string> texts, bool asQuery, Span<float> destination)
    {
        Calls++;
        Texts += texts.Count;
        destination.Clear();
        for (int i = 0; i < texts.Count; i++)
        {
            var row = destination.Slice(i * dimension, dimension);
            foreach (var word in texts[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                row[(int)(ChunkFiles.Hash(word.ToLowerInvariant()) % (ulong)dimension)] += 1;
            row[0] += 0.01f; // never the zero vector
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }
    }

    public void Dispose() { }

    public static List<Document> Corpus(int count, int seed = 1)
    {
        var rng = new Random(seed);
        string[] words = ["alpha", "beta", "gamma", "delta", "omega", "river", "stone", "cloud", "signal", "vector",
            "index", "graph", "token", "entropy", "chunk", "anchor", "query", "model", "train", "corpus"];
        return Enumerable.Range(0, count).Select(i =>
        {
            var lines = Enumerable.Range(0, rng.Next(1, 6)).Select(_ =>
                string.Join(' ', Enumerable.Range(0, rng.Next(3, 20)).Select(_ => words[rng.Next(words.Length)] + rng.Next(50))));
            return new Document($"doc{i}", string.Join('\n', lines), $"corpus.jsonl:{i + 1}");
        }).ToList();
    }
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("el-retrieval-").FullName;
    public string Sub(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
