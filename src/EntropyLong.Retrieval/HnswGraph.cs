using Cloud.Unum.USearch;
using static EntropyLong.Retrieval.USearchNative;

namespace EntropyLong.Retrieval;

/// <summary>A USearch HNSW graph over normalized vectors. Float graphs use the inner-product metric (distance = 1 -
/// cosine). Int8 graphs use the cosine metric: USearch's i8 inner product returns the raw integer dot product of
/// vectors scaled by 127 and truncated, whose length varies with the truncation; cosine divides it out.</summary>
internal sealed unsafe class HnswGraph : IDisposable
{
    private nint _handle;

    private HnswGraph(nint handle) => _handle = handle;

    public static HnswGraph Create(int dimension, HnswSettings settings)
    {
        var options = new InitOptions
        {
            MetricKind = settings.Quantization == ScalarKind.Int8 ? MetricKind.Cos : MetricKind.Ip,
            Quantization = settings.Quantization,
            Dimensions = (nuint)dimension,
            Connectivity = (nuint)settings.Connectivity,
            ExpansionAdd = (nuint)settings.ExpansionAdd,
            ExpansionSearch = (nuint)settings.ExpansionSearch,
        };
        nint handle = usearch_init(&options, out nint error);
        Check(error, "usearch_init");
        return new HnswGraph(handle);
    }

    /// <summary>Opens a saved graph: memory-mapped (read-only) when <paramref name="view"/>, else loaded into RAM
    /// so more vectors can be added.</summary>
    public static HnswGraph Open(string path, bool view)
    {
        var options = new InitOptions();
        nint handle = usearch_init(&options, out nint error);
        Check(error, "usearch_init");
        var graph = new HnswGraph(handle);
        try
        {
            if (view) usearch_view(handle, path, out error);
            else usearch_load(handle, path, out error);
            Check(error, path);
            return graph;
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>The dimension a saved graph file declares in its header (throws on a file that is not one).</summary>
    public static int ReadDimension(string path)
    {
        var options = new InitOptions();
        usearch_metadata(path, &options, out nint error);
        Check(error, path);
        return (int)options.Dimensions;
    }

    public long Count
    {
        get
        {
            nuint n = usearch_size(_handle, out nint error);
            Check(error, "usearch_size");
            return (long)n;
        }
    }

    public int Dimension
    {
        get
        {
            nuint n = usearch_dimensions(_handle, out nint error);
            Check(error, "usearch_dimensions");
            return (int)n;
        }
    }

    public int ExpansionSearch
    {
        set
        {
            usearch_change_expansion_search(_handle, (nuint)value, out nint error);
            Check(error, "usearch_change_expansion_search");
        }
    }

    public void Reserve(long capacity)
    {
        usearch_reserve(_handle, (nuint)capacity, out nint error);
        Check(error, "usearch_reserve");
    }

    /// <summary>Adds <c>vectors.Length / Dimension</c> rows under keys firstKey, firstKey + 1, ... on
    /// <paramref name="threads"/> threads (USearch's add is thread-safe). Reports the count added so far.</summary>
    public void AddRange(ulong firstKey, ReadOnlySpan<float> vectors, int threads, Action<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        int dim = Dimension;
        long rows = vectors.Length / dim;
        Reserve(Count + rows);
        long done = 0;
        fixed (float* basePtr = vectors)
        {
            float* p = basePtr;
            const int Block = 1024;
            long blocks = (rows + Block - 1) / Block;
            Parallel.For(0L, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken }, b =>
            {
                long end = Math.Min(rows, (b + 1) * Block);
                for (long i = b * Block; i < end; i++)
                {
                    usearch_add(_handle, firstKey + (ulong)i, p + i * dim, ScalarKind.Float32, out nint error);
                    Check(error, "usearch_add");
                }
                long now = Interlocked.Add(ref done, end - b * Block);
                progress?.Invoke(now);
            });
        }
    }

    /// <summary>Nearest neighbours of <paramref name="query"/>; keys and distances are filled in ascending distance.</summary>
    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        fixed (float* q = query)
        fixed (ulong* k = keys)
        fixed (float* d = distances)
        {
            nuint found = usearch_search(_handle, q, ScalarKind.Float32, (nuint)keys.Length, k, d, out nint error);
            Check(error, "usearch_search");
            return (int)found;
        }
    }

    /// <summary>As <see cref="Search(ReadOnlySpan{float}, Span{ulong}, Span{float})"/>, keeping only keys the
    /// filter accepts (non-zero); the graph is searched further until enough are found.</summary>
    public int Search(ReadOnlySpan<float> query, delegate* unmanaged<ulong, nint, int> filter, nint state,
        Span<ulong> keys, Span<float> distances)
    {
        fixed (float* q = query)
        fixed (ulong* k = keys)
        fixed (float* d = distances)
        {
            nuint found = usearch_filtered_search(_handle, q, ScalarKind.Float32, (nuint)keys.Length, filter, state, k, d, out nint error);
            Check(error, "usearch_filtered_search");
            return (int)found;
        }
    }

    public void Save(string path)
    {
        usearch_save(_handle, path, out nint error);
        Check(error, path);
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            usearch_free(_handle, out _);
            _handle = 0;
        }
    }
}

/// <summary>HNSW parameters: connectivity M, construction and search beam widths, stored scalar type.</summary>
public sealed record HnswSettings
{
    /// <summary>The defaults of `index` and `bench index` alike.</summary>
    public const int DefaultConnectivity = 16, DefaultExpansion = 128;

    public int Connectivity { get; init; } = DefaultConnectivity;
    public int ExpansionAdd { get; init; } = DefaultExpansion;
    public int ExpansionSearch { get; init; } = DefaultExpansion;
    /// <summary>How the graph stores vectors: <see cref="ScalarKind.Float32"/>, <see cref="ScalarKind.Float16"/> or
    /// <see cref="ScalarKind.Int8"/> (see <see cref="Quantizations"/>).</summary>
    public ScalarKind Quantization { get; init; } = ScalarKind.Float32;
}

/// <summary>The scalar kinds an index may store its graph vectors in, by their command-line names.</summary>
public static class Quantizations
{
    public static readonly IReadOnlyDictionary<string, ScalarKind> ByName = new Dictionary<string, ScalarKind>
    {
        ["f32"] = ScalarKind.Float32,
        ["f16"] = ScalarKind.Float16,
        ["i8"] = ScalarKind.Int8,
    };

    public static string Name(ScalarKind kind) => ByName.First(p => p.Value == kind).Key;

    /// <summary>How many candidates per wanted hit a search asks a graph of this kind for, before rescoring them from
    /// the float32 vectors and keeping the best. Int8 ranks near neighbours coarsely: at 100,000 vectors, K = 32 of
    /// its own hits held 0.90 of the exact top 32, 4K rescored hold over 0.95 (docs/cost.md); f16 loses nothing.</summary>
    public static int Oversample(ScalarKind kind) => kind == ScalarKind.Int8 ? 4 : 1;
}
