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
/// number of tokens). Each shard is written atomically and index.json last, so a folder without index.json
/// is an interrupted run, never a dataset that looks complete.</summary>
public sealed class MdsWriter : IDisposable
{
    public const string IndexFile = "index.json";

    private readonly string _dir;
    private readonly MdsOptions _options;
    private readonly byte[] _config;
    private readonly string _shardConfigJson;
    private readonly ArrayBufferWriter<byte> _data = new(1 << 20);
    private readonly List<int> _sampleSizes = [];
    private readonly List<string> _shardEntries = [];
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

        var names = new List<string>();
        var encodings = new List<string>();
        var sizes = new List<string>();
        if (_options.Domain) { names.Add("domain"); encodings.Add("str"); sizes.Add("null"); }
        if (_options.Indices) { names.Add("indices"); encodings.Add("ndarray:uint32"); sizes.Add("null"); }
        names.Add("input_ids"); encodings.Add("ndarray:uint32"); sizes.Add("null");
        names.Add("length"); encodings.Add("uint64"); sizes.Add("8");
        // streaming embeds json.dumps(config, sort_keys=True) in every shard and repeats its keys per shard
        // in index.json; Python's default separators are ", " and ": ".
        string q(string s) => $"\"{s}\"";
        _shardConfigJson =
            $"\"column_encodings\": [{string.Join(", ", encodings.Select(q))}], " +
            $"\"column_names\": [{string.Join(", ", names.Select(q))}], " +
            $"\"column_sizes\": [{string.Join(", ", sizes)}], " +
            "\"compression\": null, \"format\": \"mds\", \"hashes\": [], " +
            $"\"size_limit\": {_options.SizeLimit}, \"version\": 2";
        _config = Encoding.UTF8.GetBytes("{" + _shardConfigJson + "}");
        ResetShard();
    }

    /// <summary>Samples written so far (flushed or pending).</summary>
    public long Samples { get; private set; }

    /// <summary>Shard files written so far.</summary>
    public int Shards => _shardEntries.Count;

    /// <summary>Adds one sample: the tokens of a packed sequence, the [start, end) token range of each document
    /// packed in it (when <see cref="MdsOptions.Indices"/>), and its domain (when <see cref="MdsOptions.Domain"/>).</summary>
    public void Write(ReadOnlySpan<uint> inputIds, ReadOnlySpan<(int Start, int End)> indices = default, string? domain = null)
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

        int variable = (_options.Domain ? 1 : 0) + (_options.Indices ? 1 : 0) + 1;
        int domainBytes = domain is null ? 0 : Encoding.UTF8.GetByteCount(domain);
        int indicesBytes = _options.Indices ? NdArraySize([indices.Length, 2]) : 0;
        int idsBytes = NdArraySize([inputIds.Length]);
        int size = checked(4 * variable + domainBytes + indicesBytes + idsBytes + 8);

        // The same rule as streaming's Writer.write: 4 more bytes per sample for its offset.
        if (_sampleSizes.Count > 0 && _options.SizeLimit < _shardBytes + size + 4) FlushShard();

        var span = _data.GetSpan(size)[..size];
        int at = 0;
        if (_options.Domain) WriteU32(span, ref at, (uint)domainBytes);
        if (_options.Indices) WriteU32(span, ref at, (uint)indicesBytes);
        WriteU32(span, ref at, (uint)idsBytes);
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
        var index = new StringBuilder("{\"shards\": [");
        index.AppendJoin(", ", _shardEntries);
        index.Append("], \"version\": 2}");
        AtomicFile.WriteAllBytes(Path.Combine(_dir, IndexFile), Encoding.UTF8.GetBytes(index.ToString()));
        _completed = true;
    }

    /// <summary>Drops samples not yet flushed; shards already written stay, with no index.json.</summary>
    public void Dispose() => _completed = true;

    // [ndim << 2 | shape dtype code] [shape, in the smallest uint that holds its largest dimension] [values]
    private static int NdArraySize(ReadOnlySpan<int> shape)
    {
        int max = 0, elements = 1;
        foreach (int d in shape)
        {
            max = Math.Max(max, d);
            elements = checked(elements * d);
        }
        return checked(1 + shape.Length * ShapeBytes(max) + 4 * elements);
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
        _shardEntries.Add(
            $"{{{_shardConfigJson[..(_shardConfigJson.IndexOf("\"size_limit\"", StringComparison.Ordinal))]}" +
            $"\"raw_data\": {{\"basename\": \"{basename}\", \"bytes\": {total}, \"hashes\": {{}}}}, \"samples\": {count}, " +
            $"{_shardConfigJson[_shardConfigJson.IndexOf("\"size_limit\"", StringComparison.Ordinal)..]}, \"zip_data\": null}}");
        ResetShard();
    }

    private void ResetShard()
    {
        _data.Clear();
        _sampleSizes.Clear();
        _shardBytes = 4 + 4 + _config.Length;
    }

    private void PrepareDirectory()
    {
        try
        {
            Directory.CreateDirectory(_dir);
            string index = Path.Combine(_dir, IndexFile);
            var shards = Directory.GetFiles(_dir, "shard.*.mds");
            if (!File.Exists(index) && shards.Length == 0) return;
            if (!_options.Overwrite)
                throw new UserInputException($"{_dir}: already holds an MDS dataset ({IndexFile} or shard files); remove it or choose another folder");
            File.Delete(index); // first, so a half-removed dataset never looks complete
            foreach (string shard in shards) File.Delete(shard);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{_dir}: cannot prepare the MDS folder: {e.Message}", e);
        }
    }
}
