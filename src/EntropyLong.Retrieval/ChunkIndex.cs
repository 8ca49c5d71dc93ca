using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using Cloud.Unum.USearch;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>A hit: the chunk's key (see <see cref="ChunkIndex.GetChunk"/>) and its cosine similarity.</summary>
public readonly record struct SearchHit(ulong Key, float Score);

/// <summary>An index folder opened for search: the HNSW graph memory-mapped from disk, chunk metadata and text read
/// by key from memory-mapped files. Thread-safe for concurrent searches.</summary>
public sealed unsafe class ChunkIndex : IDisposable
{
    private readonly ChunkStoreReader _store;
    private readonly HnswGraph? _graph;
    // A quantized graph ranks by approximate similarities; its hits (Quantizations.Oversample per wanted one) are
    // rescored from the float32 vectors.
    private readonly bool _rescore;
    private readonly int _oversample = 1;

    public string Folder { get; }
    public IndexManifest Manifest { get; }
    public long Count => _store.Count;
    public int Dimension => Manifest.Dimension;
    /// <summary>False for an index built without a graph: every search is then exact.</summary>
    public bool HasHnsw => _graph is not null;

    private ChunkIndex(string folder, IndexManifest manifest, ChunkStoreReader store, HnswGraph? graph)
    {
        Folder = folder;
        Manifest = manifest;
        _store = store;
        _graph = graph;
        _rescore = graph is not null && manifest.Hnsw!.Kind != ScalarKind.Float32;
        if (_rescore) _oversample = Quantizations.Oversample(manifest.Hnsw!.Kind!.Value);
    }

    /// <summary>Opens a built index. With <paramref name="embedder"/>, refuses an index made by another model.
    /// <paramref name="expansionSearch"/> overrides the HNSW search beam (higher: better recall, slower).</summary>
    public static ChunkIndex Open(string folder, IEmbedder? embedder = null, int? expansionSearch = null)
    {
        if (!Directory.Exists(folder)) throw UserInputException.FolderNotFound(folder, "index folder");
        var manifest = IndexManifest.TryRead(folder)
            ?? throw new UserInputException($"{folder}: not an index folder (no {IndexManifest.FileName}); build one with `entropylong index`");
        if (embedder is not null) manifest.CheckCompatible(folder, embedder);
        var store = new ChunkStoreReader(folder, manifest.Dimension, manifest.Chunks, manifest.DataBytes);
        try
        {
            return new ChunkIndex(folder, manifest, store, OpenGraph(folder, manifest, expansionSearch));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static HnswGraph? OpenGraph(string folder, IndexManifest manifest, int? expansionSearch)
    {
        if (manifest.Hnsw is not { } info) return null;
        if (info.Kind is null)
            throw new UserInputException($"{Path.Combine(folder, IndexManifest.FileName)}: graph quantization '{info.Quantization}' is not one of {string.Join(", ", Quantizations.ByName.Values)}");
        if (info.Vectors != manifest.Chunks)
            throw new UserInputException($"{folder}: the build is unfinished (the graph holds {info.Vectors} of {manifest.Chunks} chunks); run `entropylong index` again to complete it");
        string path = Path.Combine(folder, HnswFileInfo.FileName);
        if (!File.Exists(path)) throw new UserInputException($"{path}: missing; run `entropylong index` again to rebuild it");
        long length = new FileInfo(path).Length;
        if (length != info.FileBytes || HnswFileInfo.ComputeFingerprint(path) != info.Fingerprint)
            throw new UserInputException($"{path}: corrupt ({length} bytes, fingerprint differs from {IndexManifest.FileName}); delete it and run `entropylong index` again to rebuild it");
        HnswGraph graph;
        try
        {
            int dim = HnswGraph.ReadDimension(path);
            if (dim != manifest.Dimension)
                throw new UserInputException($"{path}: holds {dim}-dimensional vectors, {IndexManifest.FileName} says {manifest.Dimension}");
            graph = HnswGraph.Open(path, view: true);
        }
        catch (USearchException e)
        {
            throw new UserInputException($"{path}: not a readable USearch index ({e.Message})", e);
        }
        if (graph.Count != info.Vectors)
        {
            graph.Dispose();
            throw new UserInputException($"{path}: holds {info.Vectors} vectors per {IndexManifest.FileName}, but the file has a different count");
        }
        graph.ExpansionSearch = expansionSearch ?? info.ExpansionSearch;
        return graph;
    }

    public Exclusion ExclusionFor(Document document) => Exclusion.ForDocument(document, Manifest.MaxChars);

    public Chunk GetChunk(ulong key) => _store.GetChunk(key);

    /// <summary>The texts of a document's chunks, as this index holds them, in order; empty when it holds none.</summary>
    public IReadOnlyList<string> DocumentChunkTexts(string documentId)
    {
        byte[] id = Encoding.UTF8.GetBytes(documentId);
        ulong hash = ChunkFiles.Hash(id);
        var texts = new List<string>();
        for (ulong key = 0; key < (ulong)Count; key++)
        {
            ref readonly var r = ref _store.Record(key);
            if (r.DocumentHash == hash && _store.DocumentIdUtf8(r).SequenceEqual(id)) texts.Add(Encoding.UTF8.GetString(_store.TextUtf8(r)));
        }
        return texts;
    }

    /// <summary>The <paramref name="k"/> chunks most similar to a normalized query vector, best first, leaving out
    /// what <paramref name="exclude"/> names. <paramref name="exact"/> scans every vector instead of the graph.</summary>
    public SearchHit[] Search(ReadOnlySpan<float> query, int k, Exclusion? exclude = null, bool exact = false)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"query has {query.Length} dimensions, the index {Dimension}", nameof(query));
        if (k <= 0 || Count == 0) return [];
        return exact || _graph is null ? ExactSearch(query, k, exclude) : GraphSearch(_graph, query, k, exclude);
    }

    private SearchHit[] GraphSearch(HnswGraph graph, ReadOnlySpan<float> query, int k, Exclusion? exclude)
    {
        k = (int)Math.Min(k, Count);
        int want = (int)Math.Min((long)k * _oversample, Count);
        Span<ulong> keys = want <= 256 ? stackalloc ulong[want] : new ulong[want];
        Span<float> distances = want <= 256 ? stackalloc float[want] : new float[want];
        int found;
        if (exclude is null)
            found = graph.Search(query, keys, distances);
        else
        {
            var handle = GCHandle.Alloc(new FilterState(_store, exclude));
            try
            {
                found = graph.Search(query, &Accept, GCHandle.ToIntPtr(handle), keys, distances);
            }
            finally
            {
                handle.Free();
            }
        }
        var hits = new SearchHit[found];
        if (!_rescore)
        {
            for (int i = 0; i < found; i++) hits[i] = new SearchHit(keys[i], 1f - distances[i]);
            return hits;
        }
        for (int i = 0; i < found; i++) hits[i] = new SearchHit(keys[i], TensorPrimitives.Dot(query, _store.Vectors((long)keys[i], 1)));
        // The exact search's order, so a quantized graph that finds the same chunks gives the same answer.
        Array.Sort(hits, (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Key.CompareTo(b.Key));
        return found > k ? hits[..k] : hits;
    }

    private sealed record FilterState(ChunkStoreReader Store, Exclusion Exclusion);

    [UnmanagedCallersOnly]
    private static int Accept(ulong key, nint state)
    {
        try
        {
            var s = (FilterState)GCHandle.FromIntPtr(state).Target!;
            return s.Exclusion.Excludes(s.Store, s.Store.Record(key)) ? 0 : 1;
        }
        catch
        {
            return 0; // an exception must not unwind through native frames
        }
    }

    /// <summary>Brute force over the memory-mapped vectors, split across cores.</summary>
    private SearchHit[] ExactSearch(ReadOnlySpan<float> query, int k, Exclusion? exclude)
    {
        float[] q = query.ToArray();
        long n = Count;
        int parts = (int)Math.Clamp(n / 16384, 1, Environment.ProcessorCount);
        var partial = new List<SearchHit>[parts];
        Parallel.For(0, parts, p =>
        {
            long from = n * p / parts, to = n * (p + 1) / parts;
            var top = new TopK(k);
            const int Block = 8192;
            for (long b = from; b < to; b += Block)
            {
                long rows = Math.Min(Block, to - b);
                top.Scan(_store.Vectors(b, rows), Dimension, q, (ulong)b,
                    exclude is null ? null : key => exclude.Excludes(_store, _store.Record(key)));
            }
            partial[p] = top.Hits;
        });
        return partial.SelectMany(h => h).OrderByDescending(h => h.Score).ThenBy(h => h.Key).Take(k).ToArray();
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _store.Dispose();
    }
}

/// <summary>The k best scores seen so far (min-heap), for exact search.</summary>
internal sealed class TopK(int k)
{
    private readonly PriorityQueue<ulong, float> _heap = new(k + 1);

    public void Scan(ReadOnlySpan<float> vectors, int dimension, ReadOnlySpan<float> query, ulong firstKey, Func<ulong, bool>? excluded)
    {
        long rows = vectors.Length / dimension;
        for (int i = 0; i < rows; i++)
        {
            float score = TensorPrimitives.Dot(vectors.Slice(i * dimension, dimension), query);
            if (_heap.Count == k && (!_heap.TryPeek(out _, out float worst) || score <= worst)) continue;
            ulong key = firstKey + (ulong)i;
            if (excluded is not null && excluded(key)) continue;
            if (_heap.Count == k) _heap.DequeueEnqueue(key, score);
            else _heap.Enqueue(key, score);
        }
    }

    public List<SearchHit> Hits => _heap.UnorderedItems.Select(e => new SearchHit(e.Element, e.Priority)).ToList();

    /// <summary>Best first.</summary>
    public SearchHit[] Sorted() => _heap.UnorderedItems.Select(e => new SearchHit(e.Element, e.Priority))
        .OrderByDescending(h => h.Score).ThenBy(h => h.Key).ToArray();
}
