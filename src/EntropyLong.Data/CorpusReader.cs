using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>Options of <see cref="CorpusReader"/>.</summary>
public sealed record CorpusReaderOptions
{
    /// <summary>This reader's shard, 0 ≤ ShardIndex &lt; ShardCount: it keeps the records whose
    /// <see cref="CorpusRecord.Ordinal"/> % ShardCount == ShardIndex and does not parse the others.</summary>
    public int ShardIndex { get; init; }

    /// <summary>Number of shards the stream is split into (1: no split).</summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>A JSON line longer than this is skipped as <see cref="SkipReason.TooLarge"/> without being held in memory.</summary>
    public int MaxRecordBytes { get; init; } = 64 << 20;

    /// <summary>Called for every skipped record, as it is skipped (besides the counts in <see cref="CorpusReader.Stats"/>).</summary>
    public Action<SkippedRecord>? OnSkip { get; init; }
}

/// <summary>A document and its ordinal: its 0-based position among all records of the stream (every
/// non-blank line or Parquet row of every file, in order, valid or not, whatever the shard). The ordinal
/// does not depend on sharding or on which records are skipped, so it is a stable key.</summary>
public readonly record struct CorpusRecord(long Ordinal, Document Document);

/// <summary>Streams documents from JSON-lines files (plain, .gz, .zst) and Parquet files, in the order the
/// paths are given (a directory's files sorted by relative path, a wildcard's matches by name). A bad
/// record is skipped and counted in <see cref="Stats"/>; a file that cannot be read at all stops the run
/// with a <see cref="UserInputException"/> naming it.</summary>
public sealed class CorpusReader
{
    private readonly CorpusReaderOptions _options;
    private long _bytesRead;

    /// <summary>Resolves the paths now, so a missing file is reported before any work starts.</summary>
    /// <exception cref="UserInputException">A path does not exist, matches nothing, or is of an unsupported type.</exception>
    public CorpusReader(IEnumerable<string> paths, CorpusReaderOptions? options = null)
    {
        _options = options ?? new CorpusReaderOptions();
        if (_options.ShardCount < 1 || _options.ShardIndex < 0 || _options.ShardIndex >= _options.ShardCount)
            throw new ArgumentOutOfRangeException(nameof(options), $"shard {_options.ShardIndex} of {_options.ShardCount}: need 0 <= index < count");
        if (_options.MaxRecordBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxRecordBytes must be positive");
        Files = CorpusFiles.Resolve(paths);
        TotalBytes = Files.Sum(f => new FileInfo(f).Length);
    }

    /// <summary>The files that will be read, in reading order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Size on disk of all <see cref="Files"/>, for progress.</summary>
    public long TotalBytes { get; }

    /// <summary>Bytes of <see cref="Files"/> (as on disk, compressed) consumed so far; safe to read from another thread.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Counts of the current (or last) <see cref="Read"/>.</summary>
    public ReadStats Stats { get; private set; } = new();

    /// <summary>The error for a corpus that holds no document: its files, and the records skipped, if any, by the last
    /// <see cref="Read"/>.</summary>
    public UserInputException NoDocument() =>
        new($"{string.Join(", ", Files)}: the corpus holds no document" + (Stats.Skipped > 0 ? $": {Stats.Summary()}" : ""));

    /// <summary>Refuses a corpus with no document (<see cref="NoDocument"/>), reading no further than its first one.</summary>
    public void RequireDocument()
    {
        if (!Read().Any()) throw NoDocument();
    }

    /// <summary>True for a file name this reader accepts (.jsonl/.json/.ndjson, optionally .gz/.zst, .parquet).</summary>
    public static bool IsSupported(string path) => CorpusFiles.IsSupported(path);

    /// <summary>Streams this shard's documents. Each enumeration starts over with fresh <see cref="Stats"/>.</summary>
    public IEnumerable<CorpusRecord> Read()
    {
        var stats = Stats = new ReadStats();
        Volatile.Write(ref _bytesRead, 0);
        long ordinal = 0, done = 0;
        int shards = _options.ShardCount, shard = _options.ShardIndex;
        foreach (string file in Files)
        {
            using IRecordSource source = CorpusFiles.IsParquet(file) ? new ParquetSource(file) : new JsonlSource(file, _options.MaxRecordBytes);
            long documents = 0, unreadable = 0;
            SkippedRecord? first = null;
            while (source.Next())
            {
                long own = ordinal++;
                Volatile.Write(ref _bytesRead, done + source.FilePosition);
                if (own % shards != shard) continue;
                var document = source.Parse(out var skip);
                if (document is null)
                {
                    stats.CountSkip(skip);
                    _options.OnSkip?.Invoke(skip);
                    if (skip.Reason is SkipReason.MalformedJson or SkipReason.InvalidUtf8) { unreadable++; first ??= skip; }
                    continue;
                }
                documents++;
                stats.CountDocument();
                yield return new CorpusRecord(own, document);
            }
            // Skipping bad lines suits a corpus with a few; a file with nothing but is in another format (a JSON array,
            // a compressed or UTF-16 file under a .jsonl name), and going on would write an empty output.
            if (documents == 0 && unreadable > 0)
                throw new UserInputException($"{file}: none of its records could be read ({unreadable} not JSON lines in UTF-8; first {first}); is it JSON lines, one object per line, in UTF-8?");
            done += new FileInfo(file).Length;
            Volatile.Write(ref _bytesRead, done);
        }
    }
}

/// <summary>One corpus file as a sequence of records: <see cref="Next"/> moves to the next record (cheap),
/// <see cref="Parse"/> decodes the current one.</summary>
internal interface IRecordSource : IDisposable
{
    /// <summary>1-based line (JSON lines) or row (Parquet) of the current record.</summary>
    long Position { get; }

    /// <summary>Bytes of the file on disk consumed so far.</summary>
    long FilePosition { get; }

    bool Next();

    Document? Parse(out SkippedRecord skip);
}
