using EntropyLong.Data;

namespace EntropyLong.Pipeline.Tasks;

/// <summary>How a corpus is cut into <see cref="Shards"/> task inputs. With at least as many files as shards, each
/// shard reads a contiguous run of whole files (a bad file then fails one task only, and no worker reads another's
/// bytes); otherwise every shard reads all files and keeps the records whose ordinal % Shards equals its number.
/// Either way the split depends only on the file list and the shard count.</summary>
public sealed class ShardPlan
{
    public ShardPlan(IReadOnlyList<string> files, int shards)
    {
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), "need at least one shard");
        Files = files;
        Shards = shards;
    }

    public IReadOnlyList<string> Files { get; }
    public int Shards { get; }
    public bool ByFile => Files.Count >= Shards;

    /// <summary>The files of shard <paramref name="shard"/> (all files when sharding by record).</summary>
    public IReadOnlyList<string> FilesOf(int shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, Shards);
        if (!ByFile) return Files;
        int from = (int)((long)shard * Files.Count / Shards), to = (int)((long)(shard + 1) * Files.Count / Shards);
        return Files.Skip(from).Take(to - from).ToArray();
    }

    public CorpusReader Reader(int shard) => ByFile
        ? new CorpusReader(FilesOf(shard))
        : new CorpusReader(Files, new CorpusReaderOptions { ShardIndex = shard, ShardCount = Shards });

}
