using System.Text.Json.Serialization;
using EntropyLong.Core;
using Parquet;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;

namespace EntropyLong.Data;

/// <summary>Options of <see cref="ParquetSequenceWriter"/>.</summary>
public sealed record ParquetSequenceOptions
{
    /// <summary>Start a new part before its values would pass this many bytes, uncompressed (4 per token, 8 per span, 4 for
    /// num_tokens, 1 per weight): the MDS shard limit, so both formats cut their files at about the same sizes. A single
    /// sequence larger than the limit gets a part of its own.</summary>
    public long SizeLimit { get; init; } = 1 << 26;

    /// <summary>Write the <c>position_weighted</c> column.</summary>
    public bool PositionWeighted { get; init; }
}

/// <summary>Writes packed sequences as Parquet files, <c>part-00000.parquet</c>, <c>part-00001.parquet</c>, ..., one row
/// per sequence and one row group per file, for trainers that do not read MDS (Hugging Face datasets reads the folder
/// as is). Columns, all required: <c>input_ids</c> list&lt;int32&gt; (the convention of Hugging Face tokenized datasets;
/// token ids are below 2^31), <c>indices</c> list&lt;list&lt;int32&gt;&gt; (a [start, end) pair per packed sample, as
/// the MDS column's (n, 2) rows), <c>num_tokens</c> int32, and optionally <c>position_weighted</c> list&lt;uint8&gt;.
/// Snappy-compressed. Parts of an earlier dataset in the folder are removed first; each part is written atomically.
/// Parquet has no index file: the build's stats.json, written last, marks the output complete.</summary>
public sealed class ParquetSequenceWriter : IDisposable
{
    private readonly string _dir;
    private readonly ParquetSequenceOptions _options;
    private readonly List<Row> _rows = [];
    private long _partBytes;
    private bool _completed;

    /// <exception cref="UserInputException">The folder cannot be prepared.</exception>
    public ParquetSequenceWriter(string directory, ParquetSequenceOptions? options = null)
    {
        _dir = directory;
        _options = options ?? new ParquetSequenceOptions();
        if (_options.SizeLimit <= 0) throw new ArgumentOutOfRangeException(nameof(options), "SizeLimit must be positive");
        Remove(_dir);
        try { Directory.CreateDirectory(_dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{_dir}: cannot prepare the Parquet folder: {e.Message}", e);
        }
    }

    /// <summary>Removes the part files in <paramref name="directory"/>, if any, then the folder, unless it holds other files.</summary>
    /// <exception cref="UserInputException">They cannot be removed.</exception>
    public static void Remove(string directory)
    {
        if (!Directory.Exists(directory)) return;
        try
        {
            foreach (string part in Directory.GetFiles(directory, BuildFolder.ParquetParts)) File.Delete(part);
            if (!Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{directory}: cannot remove the Parquet files: {e.Message}", e);
        }
    }

    /// <summary>Part files written so far.</summary>
    public int Parts { get; private set; }

    /// <summary>Adds one sequence: its tokens, the [start, end) range of each sample packed in it, and a weight per token
    /// when <see cref="ParquetSequenceOptions.PositionWeighted"/>.</summary>
    public void Write(ReadOnlySpan<int> inputIds, ReadOnlySpan<(int Start, int End)> indices, ReadOnlySpan<byte> positionWeighted = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_options.PositionWeighted ? positionWeighted.Length != inputIds.Length : !positionWeighted.IsEmpty)
            throw new ArgumentException(_options.PositionWeighted
                ? $"the position_weighted column is on: give one weight per token ({positionWeighted.Length} for {inputIds.Length} tokens)"
                : "the position_weighted column is off", nameof(positionWeighted));
        var pairs = new int[indices.Length][];
        for (int i = 0; i < pairs.Length; i++) pairs[i] = [indices[i].Start, indices[i].End];
        Row row = _options.PositionWeighted
            ? new WeightedRow { InputIds = inputIds.ToArray(), Indices = pairs, NumTokens = inputIds.Length, PositionWeighted = [.. positionWeighted] }
            : new Row { InputIds = inputIds.ToArray(), Indices = pairs, NumTokens = inputIds.Length };
        long bytes = 4L * inputIds.Length + 8L * indices.Length + 4 + positionWeighted.Length;
        if (_rows.Count > 0 && _partBytes + bytes > _options.SizeLimit) FlushPart();
        _rows.Add(row);
        _partBytes += bytes;
    }

    /// <summary>Writes the last part.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_rows.Count > 0) FlushPart();
        _completed = true;
    }

    /// <summary>Drops rows not yet flushed; parts already written stay.</summary>
    public void Dispose() => _completed = true;

    private void FlushPart()
    {
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        using (var file = new AtomicFile(Path.Combine(_dir, BuildFolder.ParquetPart(Parts))))
        {
            // The serializer takes the schema from the row type: one row group holds every row given.
            Task write = _options.PositionWeighted
                ? ParquetSerializer.SerializeAsync(_rows.Cast<WeightedRow>(), file.Stream, options)
                : ParquetSerializer.SerializeAsync(_rows, file.Stream, options);
            write.GetAwaiter().GetResult();
            file.Commit();
        }
        Parts++;
        _rows.Clear();
        _partBytes = 0;
    }

    // Column names and order come from these attributes; lists and their elements are required (never null).
    internal class Row
    {
        [JsonPropertyName("input_ids"), JsonPropertyOrder(0), ParquetRequired, ParquetListElementRequired]
        public int[] InputIds { get; set; } = [];

        [JsonPropertyName("indices"), JsonPropertyOrder(1), ParquetRequired, ParquetListElementRequired]
        public int[][] Indices { get; set; } = [];

        [JsonPropertyName("num_tokens"), JsonPropertyOrder(2)]
        public int NumTokens { get; set; }
    }

    internal sealed class WeightedRow : Row
    {
        [JsonPropertyName("position_weighted"), JsonPropertyOrder(3), ParquetRequired, ParquetListElementRequired]
        public List<byte> PositionWeighted { get; set; } = [];
    }
}
