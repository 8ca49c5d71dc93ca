using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>Options of <see cref="MdsWriter"/>.</summary>
public sealed record MdsOptions
{
    /// <summary>Write the <c>indices</c> column (ndarray:uint32 of shape (n, 2): [start, end) of each packed sample).</summary>
    public bool Indices { get; init; } = true;

    /// <summary>Write the <c>domain</c> column (str).</summary>
    public bool Domain { get; init; }

    /// <summary>Write the <c>position_weighted</c> column (ndarray:uint8, one value per token), which the EntropyLong
    /// authors' ProLong fork reads as loss weights (recipes/prolong/README.md).</summary>
    public bool PositionWeighted { get; init; }

    /// <summary>Start a new shard before one would grow past this many bytes (mosaicml/streaming's default, 64 MiB).
    /// A single sample larger than the limit gets a shard of its own.</summary>
    public long SizeLimit { get; init; } = 1 << 26;

    /// <summary>Replace an MDS dataset already in the folder (its index.json is removed first).</summary>
    public bool Overwrite { get; init; }
}

/// <summary>Writes a MosaicML-streaming MDS dataset (format version 2, no compression, no hashes), the
/// tokenized input of the ProLong trainer: <c>shard.NNNNN.mds</c> files and <c>index.json</c>.
/// Columns, in streaming's (sorted) order: <c>domain</c> (str, optional), <c>indices</c> (ndarray:uint32,
/// optional), <c>input_ids</c> (ndarray:uint32), <c>length</c> (uint64, as ProLong's packer writes it: the
/// number of tokens), <c>position_weighted</c> (ndarray:uint8, optional). Each shard is written atomically and
/// index.json last, so a folder without index.json is an interrupted run, never a dataset that looks complete.</summary>
public sealed class MdsWriter : IDisposable
{
    public const string IndexFile = "index.json";

    private readonly string _dir;
    private readonly MdsOptions _options;
    private readonly SortedDictionary<string, object?> _shardConfig;
    private readonly byte[] _config;
    private readonly int _variableColumns;
    private readonly ArrayBufferWriter<byte> _data = new(1 << 20);
    private readonly List<int> _sampleSizes = [];
    private readonly List<SortedDictionary<string, object?>> _shardEntries = [];
    private long _shardBytes;
    private bool _completed;

    /// <exception cref="UserInputException">The folder already holds an MDS dataset and <see cref="MdsOptions.Overwrite"/> is off.</exception>
    public MdsWriter(string directory, MdsOptions? options = null)
    {
        _dir = directory;
        _options = options ?? new MdsOptions();
        if (_options.SizeLimit <= 0 || _options.SizeLimit >= 1L << 32)
            throw new ArgumentOutOfRangeException(nameof(options), "SizeLimit must be in (0, 2^32): sample offsets are uint32");
        PrepareDirectory();

        // (name, encoding, fixed size) in streaming's order, which sorts columns by name.
        var columns = new List<(string Name, string Encoding, int? Size)>();
        if (_options.Domain) columns.Add(("domain", "str", null));
        if (_options.Indices) columns.Add(("indices", "ndarray:uint32", null));
        columns.Add(("input_ids", "ndarray:uint32", null));
        columns.Add(("length", "uint64", 8));
        if (_options.PositionWeighted) columns.Add(("position_weighted", "ndarray:uint8", null));
        _variableColumns = columns.Count(c => c.Size is null);
        // The config streaming embeds in every shard (json.dumps(config, sort_keys=True)); index.json repeats its keys
        // in each shard's entry.
        _shardConfig = new(StringComparer.Ordinal)
        {
            ["column_encodings"] = columns.Select(c => c.Encoding).ToList(),
            ["column_names"] = columns.Select(c => c.Name).ToList(),
            ["column_sizes"] = columns.Select(c => c.Size).ToList(),
            ["compression"] = null,
            ["format"] = "mds",
            ["hashes"] = new List<string>(),
            ["size_limit"] = _options.SizeLimit,
            ["version"] = 2,
        };
        _config = Encoding.UTF8.GetBytes(PythonJson.Dumps(_shardConfig));
        ResetShard();
    }

    /// <summary>Samples written so far (flushed or pending).</summary>
    public long Samples { get; private set; }

    /// <summary>Shard files written so far.</summary>
    public int Shards => _shardEntries.Count;

    /// <summary>Adds one sample: the tokens of a packed sequence, the [start, end) token range of each document
    /// packed in it (when <see cref="MdsOptions.Indices"/>), its domain (when <see cref="MdsOptions.Domain"/>) and a
    /// weight per token (when <see cref="MdsOptions.PositionWeighted"/>).</summary>
    public void Write(ReadOnlySpan<uint> inputIds, ReadOnlySpan<(int Start, int End)> indices = default, string? domain = null,
        ReadOnlySpan<byte> positionWeighted = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (inputIds.IsEmpty) throw new ArgumentException("an MDS ndarray cannot be empty", nameof(inputIds));
        if (_options.Indices)
        {
            if (indices.IsEmpty) throw new ArgumentException("the indices column is on: give at least one [start, end) range", nameof(indices));
            foreach (var (s, e) in indices)
                if (s < 0 || e <= s || e > inputIds.Length)
                    throw new ArgumentException($"range [{s}, {e}) is not inside the {inputIds.Length} tokens", nameof(indices));
        }
        else if (!indices.IsEmpty) throw new ArgumentException("the indices column is off (MdsOptions.Indices)", nameof(indices));
        if (_options.Domain != (domain is not null))
            throw new ArgumentException(_options.Domain ? "the domain column is on: give a domain" : "the domain column is off (MdsOptions.Domain)", nameof(domain));
        if (_options.PositionWeighted ? positionWeighted.Length != inputIds.Length : !positionWeighted.IsEmpty)
            throw new ArgumentException(_options.PositionWeighted
                ? $"the position_weighted column is on: give one weight per token ({positionWeighted.Length} for {inputIds.Length} tokens)"
                : "the position_weighted column is off (MdsOptions.PositionWeighted)", nameof(positionWeighted));

        int domainBytes = domain is null ? 0 : Encoding.UTF8.GetByteCount(domain);
        int indicesBytes = _options.Indices ? NdArraySize([indices.Length, 2], sizeof(uint)) : 0;
        int idsBytes = NdArraySize([inputIds.Length], sizeof(uint));
        int weightsBytes = _options.PositionWeighted ? NdArraySize([inputIds.Length], sizeof(byte)) : 0;
        int size = checked(4 * _variableColumns + domainBytes + indicesBytes + idsBytes + 8 + weightsBytes);

        // The same rule as streaming's Writer.write: 4 more bytes per sample for its offset.
        if (_sampleSizes.Count > 0 && _options.SizeLimit < _shardBytes + size + 4) FlushShard();

        // The sizes of the variable-size columns, then every column's bytes, in column order.
        var span = _data.GetSpan(size)[..size];
        int at = 0;
        if (_options.Domain) WriteU32(span, ref at, (uint)domainBytes);
        if (_options.Indices) WriteU32(span, ref at, (uint)indicesBytes);
        WriteU32(span, ref at, (uint)idsBytes);
        if (_options.PositionWeighted) WriteU32(span, ref at, (uint)weightsBytes);
        if (domain is not null) at += Encoding.UTF8.GetBytes(domain, span[at..]);
        if (_options.Indices)
        {
            WriteShape(span, ref at, [indices.Length, 2]);
            foreach (var (s, e) in indices)
            {
                WriteU32(span, ref at, (uint)s);
                WriteU32(span, ref at, (uint)e);
            }
        }
        WriteShape(span, ref at, [inputIds.Length]);
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(inputIds).CopyTo(span[at..]);
        else BinaryPrimitives.ReverseEndianness(inputIds, MemoryMarshal.Cast<byte, uint>(span[at..]));
        at += inputIds.Length * 4;
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], (ulong)inputIds.Length);
        at += 8;
        if (_options.PositionWeighted)
        {
            WriteShape(span, ref at, [positionWeighted.Length]);
            positionWeighted.CopyTo(span[at..]);
        }
        _data.Advance(size);
        _sampleSizes.Add(size);
        _shardBytes += size + 4;
        Samples++;
    }

    /// <summary>Writes the last shard and index.json. Without this call the folder has no index.json.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_sampleSizes.Count > 0) FlushShard();
        var index = new SortedDictionary<string, object?>(StringComparer.Ordinal) { ["shards"] = _shardEntries, ["version"] = 2 };
        AtomicFile.WriteAllBytes(Path.Combine(_dir, IndexFile), Encoding.UTF8.GetBytes(PythonJson.Dumps(index)));
        _completed = true;
    }

    /// <summary>Drops samples not yet flushed; shards already written stay, with no index.json.</summary>
    public void Dispose() => _completed = true;

    // [ndim << 2 | shape dtype code] [shape, in the smallest uint that holds its largest dimension] [values]
    private static int NdArraySize(ReadOnlySpan<int> shape, int itemBytes)
    {
        int max = 0, elements = 1;
        foreach (int d in shape)
        {
            max = Math.Max(max, d);
            elements = checked(elements * d);
        }
        return checked(1 + shape.Length * ShapeBytes(max) + itemBytes * elements);
    }

    private static int ShapeBytes(long maxDim) => maxDim < 1 << 8 ? 1 : maxDim < 1 << 16 ? 2 : 4;

    private static void WriteShape(Span<byte> span, ref int at, ReadOnlySpan<int> shape)
    {
        int max = 0;
        foreach (int d in shape) max = Math.Max(max, d);
        int width = ShapeBytes(max);
        span[at++] = (byte)((shape.Length << 2) | (width == 1 ? 0 : width == 2 ? 1 : 2));
        foreach (int d in shape)
        {
            switch (width)
            {
                case 1: span[at] = (byte)d; break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)d); break;
                default: BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)d); break;
            }
            at += width;
        }
    }

    private static void WriteU32(Span<byte> span, ref int at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], value);
        at += 4;
    }

    // Shard file: uint32 sample count, uint32 offsets[count + 1] (absolute, from the file start), the config
    // JSON, then the samples.
    private void FlushShard()
    {
        int count = _sampleSizes.Count;
        long headerBytes = 4 + 4L * (count + 1) + _config.Length;
        long total = headerBytes + _data.WrittenCount;
        if (total > uint.MaxValue) throw new InvalidOperationException($"shard of {total} bytes exceeds the uint32 offsets of MDS");
        var header = new byte[headerBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)count);
        long offset = headerBytes;
        for (int i = 0; i <= count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4 + 4 * i), (uint)offset);
            if (i < count) offset += _sampleSizes[i];
        }
        _config.CopyTo(header.AsSpan(4 + 4 * (count + 1)));

        string basename = $"shard.{_shardEntries.Count:00000}.mds";
        using (var file = new AtomicFile(Path.Combine(_dir, basename)))
        {
            file.Stream.Write(header);
            file.Stream.Write(_data.WrittenSpan);
            file.Commit();
        }
        _shardEntries.Add(new(_shardConfig, StringComparer.Ordinal)
        {
            ["raw_data"] = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["basename"] = basename, ["bytes"] = total, ["hashes"] = new SortedDictionary<string, object?>(),
            },
            ["samples"] = count,
            ["zip_data"] = null,
        });
        ResetShard();
    }

    private void ResetShard()
    {
        _data.Clear();
        _sampleSizes.Clear();
        _shardBytes = 4 + 4 + _config.Length;
    }

    /// <summary>Removes the MDS dataset in <paramref name="directory"/>, if there is one: index.json first, so a
    /// half-removed dataset never looks complete; then the folder, unless it holds other files.</summary>
    /// <exception cref="UserInputException">The files cannot be removed.</exception>
    public static void Remove(string directory)
    {
        if (!Directory.Exists(directory)) return;
        try
        {
            File.Delete(Path.Combine(directory, IndexFile));
            foreach (string shard in Directory.GetFiles(directory, "shard.*.mds")) File.Delete(shard);
            if (!Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{directory}: cannot remove the MDS dataset: {e.Message}", e);
        }
    }

    private void PrepareDirectory()
    {
        try { Directory.CreateDirectory(_dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{_dir}: cannot prepare the MDS folder: {e.Message}", e);
        }
        if (!File.Exists(Path.Combine(_dir, IndexFile)) && Directory.GetFiles(_dir, "shard.*.mds").Length == 0) return;
        if (!_options.Overwrite)
            throw new UserInputException($"{_dir}: already holds an MDS dataset ({IndexFile} or shard files); remove it or choose another folder");
        Remove(_dir);
    }
}
