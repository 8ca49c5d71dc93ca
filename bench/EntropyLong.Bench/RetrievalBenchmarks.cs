using System.Diagnostics;
using System.Numerics.Tensors;

using EntropyLong.Retrieval;

namespace EntropyLong.Bench;

public sealed record EmbedBenchmarkResult(string Model, int Chunks, long Tokens, int BatchSize, int Rounds,
    double RawChunksPerSecond, double EmbedderChunksPerSecond)
{
    public double Ratio => EmbedderChunksPerSecond / RawChunksPerSecond;
}

public sealed record IndexBenchmarkResult(long Vectors, int Dimension, int Queries, int K, HnswSettings Settings,
    double BuildSeconds, long IndexBytes, double RecallAtK, double ExactMsPerQuery, double HnswMsP50, double HnswMsP99)
{
    public double BuildVectorsPerSecond => Vectors / BuildSeconds;
    public double Speedup => ExactMsPerQuery / HnswMsP50;
}

/// <summary>Measurements printed by `entropylong bench`; each compares two ways side by side in one run.</summary>
public static class RetrievalBenchmarks
{
    /// <summary>The embedder end to end (tokenize, pad, run, pool, normalize) against bare ONNX Runtime calls given
    /// the very same pre-built input tensors. Both use the embedder's InferenceSession: two sessions would each keep a
    /// thread pool spinning after its run and slow the other. The two alternate batch by batch, so load from other
    /// processes hits both alike; each batch counts with its best time of <paramref name="rounds"/> on each side.</summary>
    public static EmbedBenchmarkResult Embed(OnnxEmbedder embedder, IReadOnlyList<string> texts, int batchSize, int rounds)
    {
        var batches = embedder.Prepare(texts, asQuery: false).ToList();
        var batchTexts = batches.Select(b => b.Rows.Select(i => texts[i]).ToList()).ToList();
        var bare = embedder.Session;
        var output = new float[batches.Max(b => b.Rows.Length) * embedder.Dimension];
        // Warm-up: first runs allocate arenas and pick kernels.
        embedder.Embed(batchTexts[0], false, output.AsSpan(0, batchTexts[0].Count * embedder.Dimension));
        using (embedder.RunRaw(bare, batches[0])) { }
        var raw = Enumerable.Repeat(double.MaxValue, batches.Count).ToArray();
        var full = Enumerable.Repeat(double.MaxValue, batches.Count).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int b = 0; b < batches.Count; b++)
            {
                // Which side goes first flips every round, so neither always runs on a just-warmed cache.
                for (int side = 0; side < 2; side++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if ((side + r) % 2 == 0)
                    {
                        using (embedder.RunRaw(bare, batches[b])) { }
                        raw[b] = Math.Min(raw[b], Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                    else
                    {
                        embedder.Embed(batchTexts[b], false, output.AsSpan(0, batchTexts[b].Count * embedder.Dimension));
                        full[b] = Math.Min(full[b], Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                }
            }
        long tokens = batches.Sum(b => b.AttentionMask.Sum());
        return new EmbedBenchmarkResult(embedder.ModelId, texts.Count, tokens, batchSize, rounds,
            texts.Count / raw.Sum(), texts.Count / full.Sum());
    }

    /// <summary>Builds an HNSW graph over <paramref name="vectors"/> synthetic normalized vectors (a Gaussian mixture,
    /// closer to real embeddings than uniform noise), saves it, memory-maps it, and times K-nearest queries on one
    /// thread against exact search over the same vectors.</summary>
    public static IndexBenchmarkResult Index(long vectors, int dimension, int queries, int k, HnswSettings settings,
        int threads, string workDirectory, Action<string>? log = null)
    {
        var rng = new Random(1234);
        int clusters = (int)Math.Clamp(vectors / 500, 16, 4096);
        var centers = new float[clusters * dimension];
        for (int i = 0; i < centers.Length; i++) centers[i] = Gaussian(rng);
        for (int c = 0; c < clusters; c++) Normalize(centers.AsSpan(c * dimension, dimension));

        log?.Invoke($"generating {vectors:N0} x {dimension} vectors in {clusters} clusters");
        var data = new float[vectors * dimension];
        FillMixture(data, centers, dimension, clusters, seed: 1);
        var queryData = new float[queries * dimension];
        FillMixture(queryData, centers, dimension, clusters, seed: 2);

        log?.Invoke($"building HNSW (M={settings.Connectivity}, ef_add={settings.ExpansionAdd}) on {threads} threads");
        string path = Path.Combine(workDirectory, $"bench-{Guid.NewGuid():N}.usearch");
        var sw = Stopwatch.StartNew();
        using (var graph = HnswGraph.Create(dimension, settings))
        {
            long slice = Math.Max(1, (int.MaxValue / 2) / dimension);
            for (long first = 0; first < vectors; first += slice)
            {
                long rows = Math.Min(slice, vectors - first);
                long step = Math.Max(1, vectors / 10), nextLog = step, offset = first;
                graph.AddRange((ulong)first, new ReadOnlySpan<float>(data, checked((int)(first * dimension)), checked((int)(rows * dimension))), threads,
                    done =>
                    {
                        long target = Interlocked.Read(ref nextLog);
                        if (offset + done < target || Interlocked.CompareExchange(ref nextLog, target + step, target) != target) return;
                        log?.Invoke($"  {offset + done:N0} vectors added, {sw.Elapsed.TotalSeconds:F0} s");
                    });
            }
            graph.Save(path);
        }
        double buildSeconds = sw.Elapsed.TotalSeconds;
        long bytes = new FileInfo(path).Length;
        try
        {
            using var view = HnswGraph.Open(path, view: true);
            view.ExpansionSearch = settings.ExpansionSearch;
            var keys = new ulong[k];
            var distances = new float[k];
            var latencies = new double[queries];
            double recall = 0, exactMs = 0;
            log?.Invoke($"querying {queries} x k={k}: HNSW (memory-mapped) and exact");
            for (int q = 0; q < queries; q++)
            {
                var query = queryData.AsSpan(q * dimension, dimension);
                long t0 = Stopwatch.GetTimestamp();
                int found = view.Search(query, keys, distances);
                latencies[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

                t0 = Stopwatch.GetTimestamp();
                var top = new TopK(k);
                top.Scan(data, dimension, query, 0, null);
                var exact = top.Sorted();
                exactMs += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

                var truth = exact.Select(h => h.Key).ToHashSet();
                recall += keys.AsSpan(0, found).ToArray().Count(truth.Contains) / (double)k;
            }
            Array.Sort(latencies);
            return new IndexBenchmarkResult(vectors, dimension, queries, k, settings, buildSeconds, bytes,
                recall / queries, exactMs / queries, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void FillMixture(float[] data, float[] centers, int dimension, int clusters, int seed)
    {
        long rows = data.LongLength / dimension;
        const float Spread = 0.06f; // per-coordinate noise: neighbours in a cluster sit at cosine ~0.3-0.7
        Parallel.For(0, Environment.ProcessorCount, part =>
        {
            var rng = new Random(seed * 7919 + part);
            long from = rows * part / Environment.ProcessorCount, to = rows * (part + 1) / Environment.ProcessorCount;
            for (long r = from; r < to; r++)
            {
                var row = data.AsSpan(checked((int)(r * dimension)), dimension);
                var center = centers.AsSpan(rng.Next(clusters) * dimension, dimension);
                for (int d = 0; d < dimension; d++) row[d] = center[d] + Spread * Gaussian(rng);
                Normalize(row);
            }
        });
    }

    private static float Gaussian(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    private static void Normalize(Span<float> v) => TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);

    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
