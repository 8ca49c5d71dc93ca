using EntropyLong.Data;
using System.Text.Json;
using System.Text.Json.Serialization;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>An index split by corpus shard: <c>shards.json</c> plus one complete index folder per shard,
/// <c>shard-NNNN/</c>, each finished when its <c>done.json</c> marker exists. Each shard's graph is memory-mapped
/// (see <see cref="ChunkIndex"/>), so workers on one node share its pages through the page cache.</summary>
public sealed class ShardedIndex : IDisposable
{
    public const string FileName = "shards.json";

    private ShardedIndex(string folder, IReadOnlyList<ChunkIndex> shards)
    {
        Folder = folder;
        Shards = shards;
    }

    public string Folder { get; }
    public IReadOnlyList<ChunkIndex> Shards { get; }
    public long Count => Shards.Sum(s => s.Count);
    public int MaxChars => Shards[0].Manifest.MaxChars;

    public static string ShardFolder(string folder, int shard) => Path.Combine(folder, BuildFolder.IndexShard(shard));

    public static bool IsSharded(string folder) => File.Exists(Path.Combine(folder, FileName));

    /// <summary>The shard count recorded in <paramref name="folder"/>, or null for a plain index folder.</summary>
    public static int? ReadShardCount(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        using var document = JsonKeys.Parse(path, "a shard manifest");
        return new JsonKeys(path, document.RootElement).Int("shards", 1);
    }

    public static byte[] ManifestBytes(int shards) => JsonSerializer.SerializeToUtf8Bytes(new ShardsFile(shards));

    /// <summary>Opens every shard; refuses a sharded index with an unfinished shard.</summary>
    public static ShardedIndex Open(string folder, IEmbedder? embedder = null, int? expansionSearch = null)
    {
        int count = ReadShardCount(folder) ?? throw new UserInputException($"{folder}: not a sharded index (no {FileName})");
        var missing = Enumerable.Range(0, count).Where(s => !File.Exists(Path.Combine(ShardFolder(folder, s), BuildFolder.DoneMarker))).ToList();
        if (missing.Count > 0)
            throw new UserInputException($"{folder}: {missing.Count} of {count} index shards are unfinished (first: {Path.GetFileName(ShardFolder(folder, missing[0]))}); run `entropylong index --shards {count}` with the same corpus again to complete them");
        var shards = new List<ChunkIndex>();
        try
        {
            for (int s = 0; s < count; s++) shards.Add(ChunkIndex.Open(ShardFolder(folder, s), embedder, expansionSearch));
            if (shards.Select(s => s.Manifest.MaxChars).Distinct().Count() > 1)
                throw new UserInputException($"{folder}: shards were chunked at different --max-chars");
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
        return new ShardedIndex(folder, shards);
    }

    /// <summary>The <paramref name="k"/> best hits over all shards, best first (ties broken by shard, then key), each
    /// with its shard.</summary>
    public (int Shard, SearchHit Hit)[] Search(float[] query, int k, Exclusion? exclude = null, bool exact = false)
    {
        var perShard = new SearchHit[Shards.Count][];
        Parallel.For(0, Shards.Count, s => perShard[s] = Shards[s].Search(query, k, exclude, exact));
        return perShard
            .SelectMany((hits, s) => hits.Select(h => (Shard: s, Hit: h)))
            .OrderByDescending(x => x.Hit.Score).ThenBy(x => x.Shard).ThenBy(x => x.Hit.Key)
            .Take(k)
            .ToArray();
    }

    public void Dispose()
    {
        foreach (var s in Shards) s.Dispose();
    }

    private sealed record ShardsFile([property: JsonPropertyName("shards")] int Shards)
    {
        [JsonPropertyName("format")] public int Format { get; init; } = 1;
    }
}

/// <summary>Retrieval over a <see cref="ShardedIndex"/>: each query is embedded once, searched in every shard with
/// its document excluded (by id and by chunk text, so a copy in any shard is caught), and the shards' hits merged
/// into the top k by score, ties broken by shard then key. <see cref="RetrievedChunk.Key"/> is shard &lt;&lt; 40 | key.</summary>
public sealed class ShardedRetriever(ShardedIndex index, IEmbedder embedder, bool exact = false) : IRetriever
{
    public const int KeyBits = 40;

    public IReadOnlyList<IReadOnlyList<RetrievedChunk>> Retrieve(IReadOnlyList<RetrievalQuery> queries, int k, CancellationToken cancellationToken = default)
    {
        var vectors = embedder.Embed(queries.Select(q => q.Text).ToArray(), asQuery: true);
        var exclusions = new Dictionary<string, Exclusion>();
        var result = new IReadOnlyList<RetrievedChunk>[queries.Count];
        var shards = index.Shards;
        for (int i = 0; i < queries.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var q = queries[i];
            if (!exclusions.TryGetValue(q.DocumentId, out var exclusion))
                exclusions[q.DocumentId] = exclusion = Exclusion.ForDocument(new Document(q.DocumentId, q.DocumentText, ""), index.MaxChars);
            result[i] = index.Search(vectors[i], k, exclusion, exact)
                .Select(x =>
                {
                    var c = shards[x.Shard].GetChunk(x.Hit.Key);
                    return new RetrievedChunk(((long)x.Shard << KeyBits) | (long)x.Hit.Key, c.Id, c.DocumentId, c.Text, x.Hit.Score);
                })
                .ToList();
        }
        return result;
    }
}
