using System.Diagnostics;
using System.Numerics.Tensors;

using Cloud.Unum.USearch;
using EntropyLong.Retrieval;

namespace EntropyLong.Bench;

public sealed record EmbedBenchmarkResult(string Model, int Chunks, long Tokens, int BatchSize, int TokenBudget, int Rounds,
    double RawChunksPerSecond, double EmbedderChunksPerSecond, double PaddingShare)
{
    public double Ratio => EmbedderChunksPerSecond / RawChunksPerSecond;
}

/// <summary>The embedder against the settings it replaced, on the same texts in the index builder's commit windows:
/// the baseline (<see cref="EmbeddingModelOptions.BatchSize"/> texts per call, sorted within each window, spinning
/// ONNX Runtime threads), the embedder's length-grouped batches on spinning threads, and the embedder as it is.</summary>
public sealed record EmbedBaselineResult(int Window, int Rounds, double BaselineChunksPerSecond, double GroupedSpinningChunksPerSecond,
    double EmbedderChunksPerSecond, double BaselinePaddingShare, double PaddingShare, double MinCosine)
{
    public double Speedup => EmbedderChunksPerSecond / BaselineChunksPerSecond;
}

public sealed record IndexBenchmarkResult(long Vectors, int Dimension, int Queries, int K, HnswSettings Settings,
    double BuildSeconds, long IndexBytes, long MappedResidentBytes, double RecallAtK, double ExactMsPerQuery, double HnswMsP50, double HnswMsP99)
{
    public double BuildVectorsPerSecond => Vectors / BuildSeconds;
    public double Speedup => ExactMsPerQuery / HnswMsP50;
    /// <summary>The graph file's bytes per vector: coordinates at the quantized width plus links and keys.</summary>
    public double BytesPerVector => (double)IndexBytes / Vectors;
}

/// <summary>Measurements printed by `entropylong bench`; each compares two ways side by side in one run.</summary>
public static class RetrievalBenchmarks
{
    /// <summary>The embedder end to end (tokenize, pad, run, pool, normalize) against bare ONNX Runtime calls given
    /// the very same pre-built input tensors. Both use the embedder's InferenceSession: two sessions would each keep a
    /// thread pool spinning after its run and slow the other. The two alternate batch by batch, so load from other
    /// processes hits both alike; each batch counts with its best time of <paramref name="rounds"/> on each side.</summary>
    public static EmbedBenchmarkResult Embed(OnnxEmbedder embedder, IReadOnlyList<string> texts, int window, int batchSize, int tokenBudget, int rounds)
    {
        // Batches as the index builder makes them: the texts of each commit window, length-grouped.
        var windows = texts.Chunk(window).ToList();
        var batches = windows.SelectMany(w => embedder.Prepare(w, asQuery: false)).ToList();
        var batchTexts = windows.SelectMany(w => embedder.Prepare(w, asQuery: false).Select(b => b.Rows.Select(i => w[i]).ToList())).ToList();
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
        long tokens = batches.Sum(b => b.RealTokens);
        return new EmbedBenchmarkResult(embedder.ModelId, texts.Count, tokens, batchSize, tokenBudget, rounds,
            texts.Count / raw.Sum(), texts.Count / full.Sum(), OnnxEmbedder.PaddingShare(batches));
    }

    /// <summary>Embeds <paramref name="texts"/> window by window (<paramref name="window"/> texts, as the index builder
    /// commits them) three ways, rotating which goes first at every window so load from other processes hits all alike;
    /// each window counts with its best time of <paramref name="rounds"/> per way. The vectors of the baseline and the
    /// embedder are compared by cosine.</summary>
    public static EmbedBaselineResult CompareWithBaseline(EmbeddingModelOptions options, IReadOnlyList<string> texts, int window, int rounds)
    {
        using var embedder = OnnxEmbedder.Open(options);
        using var baseline = OnnxEmbedder.Open(options with { TokenBudget = int.MaxValue, SpinningThreads = true });
        using var groupedSpinning = OnnxEmbedder.Open(options with { SpinningThreads = true });
        OnnxEmbedder[] ways = [baseline, groupedSpinning, embedder];
        int dim = embedder.Dimension;
        var windows = texts.Chunk(window).Select(w => (IReadOnlyList<string>)w).ToList();
        var vectors = ways.Select(_ => new float[texts.Count * dim]).ToArray();
        var best = ways.Select(_ => Enumerable.Repeat(double.MaxValue, windows.Count).ToArray()).ToArray();
        foreach (var way in ways) way.Embed(windows[0].Take(8).ToList(), false, new float[Math.Min(8, windows[0].Count) * dim]);
        for (int r = 0; r < rounds; r++)
            for (int w = 0, offset = 0; w < windows.Count; offset += windows[w].Count, w++)
                for (int i = 0; i < ways.Length; i++)
                {
                    int way = (i + w + r) % ways.Length;
                    long t0 = Stopwatch.GetTimestamp();
                    ways[way].Embed(windows[w], false, vectors[way].AsSpan(offset * dim, windows[w].Count * dim));
                    best[way][w] = Math.Min(best[way][w], Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
        double minCosine = 1;
        for (int t = 0; t < texts.Count; t++)
            minCosine = Math.Min(minCosine, TensorPrimitives.CosineSimilarity(vectors[0].AsSpan(t * dim, dim), vectors[2].AsSpan(t * dim, dim)));
        double Rate(int way) => texts.Count / best[way].Sum();
        double Padding(OnnxEmbedder e) => OnnxEmbedder.PaddingShare(windows.SelectMany(w => e.Prepare(w, asQuery: false)));
        return new EmbedBaselineResult(window, rounds, Rate(0), Rate(1), Rate(2), Padding(baseline), Padding(embedder), minCosine);
    }

    /// <summary>Builds an HNSW graph over <paramref name="vectors"/> synthetic normalized vectors (a Gaussian mixture,
    /// closer to real embeddings than uniform noise) once per quantization in <paramref name="quantizations"/>, saves it,
    /// memory-maps it, and times K-nearest queries on one thread against exact search over the same float32 vectors
    /// (computed once). Every graph sees the same vectors and queries.</summary>
    public static IReadOnlyList<IndexBenchmarkResult> Index(long vectors, int dimension, int queries, int k, HnswSettings settings,
        IReadOnlyList<ScalarKind> quantizations, int threads, string workDirectory, Action<string>? log = null)
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

        log?.Invoke($"exact search for {queries} queries x k={k}");
        var truth = new HashSet<ulong>[queries];
        double exactMs = 0;
        for (int q = 0; q < queries; q++)
        {
            long t0 = Stopwatch.GetTimestamp();
            var top = new TopK(k);
            top.Scan(data, dimension, queryData.AsSpan(q * dimension, dimension), 0, null);
            truth[q] = top.Sorted().Select(h => h.Key).ToHashSet();
            exactMs += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        var results = new List<IndexBenchmarkResult>();
        foreach (var kind in quantizations)
        {
            var kindSettings = settings with { Quantization = kind };
            log?.Invoke($"building HNSW ({Quantizations.Name(kind)}, M={settings.Connectivity}, ef_add={settings.ExpansionAdd}) on {threads} threads");
            string path = Path.Combine(workDirectory, $"bench-{Guid.NewGuid():N}.usearch");
            try
            {
                double buildSeconds = BuildGraph(data, vectors, dimension, kindSettings, threads, path, log);
                long bytes = new FileInfo(path).Length;
                using var view = HnswGraph.Open(path, view: true);
                view.ExpansionSearch = settings.ExpansionSearch;
                // As ChunkIndex searches: a quantized graph's candidates are rescored from the float32 vectors.
                bool rescore = kind != ScalarKind.Float32;
                int want = k * Quantizations.Oversample(kind);
                var keys = new ulong[want];
                var distances = new float[want];
                var latencies = new double[queries];
                double recall = 0;
                log?.Invoke($"querying {queries} x k={k}{(rescore ? $", {want} candidates rescored" : "")}, HNSW memory-mapped");
                for (int q = 0; q < queries; q++)
                {
                    var query = queryData.AsSpan(q * dimension, dimension);
                    long t0 = Stopwatch.GetTimestamp();
                    int found = view.Search(query, keys, distances);
                    var hits = keys.AsSpan(0, found).ToArray();
                    if (rescore)
                    {
                        var negated = new float[found];
                        for (int i = 0; i < found; i++) negated[i] = -TensorPrimitives.Dot(query, data.AsSpan(checked((int)hits[i] * dimension), dimension));
                        Array.Sort(negated, hits);
                        hits = hits[..Math.Min(k, found)];
                    }
                    latencies[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    recall += hits.Count(truth[q].Contains) / (double)k;
                }
                Array.Sort(latencies);
                results.Add(new IndexBenchmarkResult(vectors, dimension, queries, k, kindSettings, buildSeconds, bytes,
                    MappedResidentBytes(path), recall / queries, exactMs / queries, Percentile(latencies, 0.50), Percentile(latencies, 0.99)));
            }
            finally
            {
                File.Delete(path);
            }
        }
        return results;
    }

    private static double BuildGraph(float[] data, long vectors, int dimension, HnswSettings settings, int threads, string path, Action<string>? log)
    {
        var sw = Stopwatch.StartNew();
        using var graph = HnswGraph.Create(dimension, settings);
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
        return sw.Elapsed.TotalSeconds;
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Resident bytes of this process's mappings of <paramref name="path"/> (Linux /proc/self/smaps; 0 elsewhere):
    /// the pages the queries made memory-mapping hold.</summary>
    private static long MappedResidentBytes(string path)
    {
        if (!File.Exists("/proc/self/smaps")) return 0;
        string full = Path.GetFullPath(path);
        long kb = 0;
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            if (dash > 0 && !line.AsSpan(0, dash).ContainsAnyExcept(HexDigits)) // "start-end perms offset dev inode path"
                inside = line.EndsWith(full, StringComparison.Ordinal);
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
                kb += long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim());
        }
        return kb * 1024;
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
