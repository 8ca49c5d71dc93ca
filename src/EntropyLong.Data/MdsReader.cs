using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>One sample of an MDS dataset: the columns the trainer reads. <paramref name="Indices"/> is the [start, end)
/// token range of each packed document (null without that column), <paramref name="Length"/> the <c>length</c> column,
/// <paramref name="Domain"/> the <c>domain</c> column and <paramref name="PositionWeighted"/> the
/// <c>position_weighted</c> column (ndarray:uint8, one per token), when present. <paramref name="Source"/> names the
/// shard and the sample's place in it, for messages.</summary>
public sealed record MdsSample(uint[] InputIds, (int Start, int End)[]? Indices, long? Length, string? Domain, byte[]? PositionWeighted, string Source);

/// <summary>Reads a MosaicML-streaming MDS dataset (format version 2, uncompressed shards) as
/// <see cref="MdsWriter"/> and streaming's MDSWriter write it: index.json lists the shards; a shard is uint32 n,
/// uint32 offsets[n+1] (absolute), its JSON config, then the samples; a sample is a uint32 size per variable-size
/// column, then each column's bytes in column order. <c>input_ids</c> and <c>indices</c> may be any integer
/// ndarray encoding (static or dynamic dtype and shape); <c>length</c> any integer scalar (or str_int);
/// <c>position_weighted</c> is read in the encoding <see cref="MdsWriter"/> gives it (ndarray:uint8); other
/// columns, and position_weighted in other encodings (the fork also reads floats), are skipped by their sizes. Damage is a <see cref="UserInputException"/> naming
/// the file.</summary>
public static class MdsReader
{
    private sealed record Column(string Name, string Encoding, int? FixedSize);

    /// <summary>The samples in dataset order, one shard in memory at a time.</summary>
    public static IEnumerable<MdsSample> Read(string directory)
    {
        foreach (var (path, samples, columns) in Shards(directory))
        {
            byte[] data;
            try { data = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"{path}: cannot read the MDS shard ({e.Message})", e);
            }
            var offsets = Offsets(path, data, samples);
            for (int i = 0; i < samples; i++)
                yield return Decode(data.AsSpan((int)offsets[i], (int)(offsets[i + 1] - offsets[i])), columns, $"{path} sample {i}");
        }
    }

    /// <summary>Samples in the dataset, from index.json.</summary>
    public static long Count(string directory) => Shards(directory).Sum(s => (long)s.Samples);

    private static List<(string Path, int Samples, Column[] Columns)> Shards(string directory)
    {
        string indexPath = Path.Combine(directory, MdsWriter.IndexFile);
        if (!File.Exists(indexPath))
            throw new UserInputException($"{indexPath}: not found (an MDS dataset folder holds index.json and shard.NNNNN.mds files)");
        try
        {
            using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            var root = index.RootElement;
            if (root.GetProperty("version").GetInt32() != 2) throw new UserInputException($"{indexPath}: MDS index version {root.GetProperty("version")}, expected 2");
            var shards = new List<(string, int, Column[])>();
            foreach (var shard in root.GetProperty("shards").EnumerateArray())
            {
                if (shard.GetProperty("format").GetString() != "mds")
                    throw new UserInputException($"{indexPath}: shard format {shard.GetProperty("format")}, only \"mds\" is read");
                var raw = shard.GetProperty("raw_data");
                string basename = raw.GetProperty("basename").GetString() ?? "";
                string path = Path.Combine(directory, basename);
                if (basename.Length == 0 || basename.Contains('/') || basename.Contains('\\'))
                    throw new UserInputException($"{indexPath}: shard file name \"{basename}\" is not a plain file name");
                if (!File.Exists(path))
                {
                    string compression = shard.GetProperty("compression").ValueKind == JsonValueKind.String ? shard.GetProperty("compression").GetString()! : "";
                    throw new UserInputException(compression.Length > 0
                        ? $"{path}: not found; the dataset's shards are {compression}-compressed, which this reader does not read (decompress them beside index.json)"
                        : $"{path}: shard listed in index.json not found");
                }
                if (new FileInfo(path).Length != raw.GetProperty("bytes").GetInt64())
                    throw new UserInputException($"{path}: {new FileInfo(path).Length} bytes, index.json says {raw.GetProperty("bytes").GetInt64()} (a damaged or foreign shard)");
                var names = shard.GetProperty("column_names").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
                var encodings = shard.GetProperty("column_encodings").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
                var sizes = shard.GetProperty("column_sizes").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (int?)null : e.GetInt32()).ToArray();
                if (names.Length != encodings.Length || names.Length != sizes.Length)
                    throw new UserInputException($"{indexPath}: {basename}: column names, encodings and sizes differ in count");
                if (!names.Contains("input_ids")) throw new UserInputException($"{indexPath}: {basename}: no input_ids column (columns: {string.Join(", ", names)})");
                int samples = shard.GetProperty("samples").GetInt32();
                if (samples < 0) throw new UserInputException($"{indexPath}: {basename}: negative sample count");
                shards.Add((path, samples, names.Select((n, c) => new Column(n, encodings[c], sizes[c])).ToArray()));
            }
            return shards;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new UserInputException($"{JsonErrors.Where(indexPath, e)}: not an MDS index ({JsonErrors.Message(e)})", e);
        }
    }

    private static uint[] Offsets(string path, byte[] data, int samples)
    {
        long header = 4 + 4L * (samples + 1);
        if (data.Length < header || BinaryPrimitives.ReadUInt32LittleEndian(data) != (uint)samples)
            throw new UserInputException($"{path}: damaged MDS shard (the sample count in its header differs from index.json's {samples})");
        var offsets = new uint[samples + 1];
        for (int i = 0; i <= samples; i++) offsets[i] = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4 + 4 * i));
        if (offsets[0] < header || offsets[^1] != data.Length)
            throw new UserInputException($"{path}: damaged MDS shard (its sample offsets do not span the file)");
        for (int i = 0; i < samples; i++)
            if (offsets[i + 1] < offsets[i]) throw new UserInputException($"{path}: damaged MDS shard (sample offsets go backwards at sample {i})");
        return offsets;
    }

    private static MdsSample Decode(ReadOnlySpan<byte> bytes, Column[] columns, string source)
    {
        var sizes = new int[columns.Length];
        int at = 0;
        for (int c = 0; c < columns.Length; c++)
        {
            if (columns[c].FixedSize is { } f) { sizes[c] = f; continue; }
            if (at + 4 > bytes.Length) throw Damaged(source, "its column sizes run past its end");
            sizes[c] = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]), int.MaxValue);
            at += 4;
        }
        uint[]? ids = null;
        (int, int)[]? indices = null;
        long? length = null;
        string? domain = null;
        byte[]? weights = null;
        for (int c = 0; c < columns.Length; c++)
        {
            if (sizes[c] > bytes.Length - at) throw Damaged(source, $"column {columns[c].Name} runs past its end");
            var value = bytes.Slice(at, sizes[c]);
            at += sizes[c];
            switch (columns[c].Name)
            {
                case "input_ids":
                    ids = NdArray(value, columns[c].Encoding, source, "input_ids", out _);
                    break;
                case "indices":
                    var flat = NdArray(value, columns[c].Encoding, source, "indices", out var shape);
                    if (shape.Length != 2 || shape[1] != 2) throw Damaged(source, $"indices has shape ({string.Join(", ", shape)}), expected (n, 2)");
                    indices = new (int, int)[shape[0]];
                    for (int i = 0; i < indices.Length; i++)
                    {
                        if (flat[2 * i] > int.MaxValue || flat[2 * i + 1] > int.MaxValue) throw Damaged(source, "an indices entry exceeds 2^31");
                        indices[i] = ((int)flat[2 * i], (int)flat[2 * i + 1]);
                    }
                    break;
                case "length":
                    length = Integer(value, columns[c].Encoding, source);
                    break;
                case "domain" when columns[c].Encoding == "str":
                    domain = Utf8(value, source);
                    break;
                case "position_weighted" when columns[c].Encoding.Split(':') is ["ndarray", "uint8", ..]:
                    var w = NdArray(value, columns[c].Encoding, source, "position_weighted", out var weightShape);
                    if (weightShape.Length != 1) throw Damaged(source, $"position_weighted has shape ({string.Join(", ", weightShape)}), expected (n,)");
                    weights = Array.ConvertAll(w, v => (byte)v);
                    break;
            }
        }
        if (at != bytes.Length) throw Damaged(source, $"its columns hold {at} bytes, the sample {bytes.Length}");
        // The fork pairs weights with tokens one to one.
        if (weights is not null && weights.Length != ids!.Length)
            throw Damaged(source, $"position_weighted holds {weights.Length} values for {ids.Length} input_ids");
        return new MdsSample(ids!, indices, length, domain, weights, source);
    }

    private static UserInputException Damaged(string source, string what) => new($"{source}: damaged MDS sample ({what})");

    private static string Utf8(ReadOnlySpan<byte> value, string source)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value); }
        catch (DecoderFallbackException) { throw Damaged(source, "a str column is not UTF-8"); }
    }

    // streaming's value dtype codes: 8 uint8, 9 int8, 16 uint16, 17 int16, 32 uint32, 33 int32, 64 uint64, 65 int64.
    private static readonly Dictionary<string, int> DtypeCodes = new()
    {
        ["uint8"] = 8, ["int8"] = 9, ["uint16"] = 16, ["int16"] = 17, ["uint32"] = 32, ["int32"] = 33, ["uint64"] = 64, ["int64"] = 65,
    };

    /// <summary>An integer ndarray as uint values: encodings <c>ndarray</c>, <c>ndarray:DTYPE</c>, <c>ndarray:DTYPE:SHAPE</c>.</summary>
    private static uint[] NdArray(ReadOnlySpan<byte> value, string encoding, string source, string column, out long[] shape)
    {
        var parts = encoding.Split(':');
        if (parts[0] != "ndarray" || parts.Length > 3)
            throw new UserInputException($"{source}: column {column} has encoding {encoding}, expected an integer ndarray");
        int at = 0;
        int code;
        if (parts.Length >= 2)
        {
            if (!DtypeCodes.TryGetValue(parts[1], out code)) throw new UserInputException($"{source}: column {column} has dtype {parts[1]}, expected an integer dtype");
        }
        else
        {
            if (value.IsEmpty) throw Damaged(source, $"{column} is empty");
            code = value[at++];
            if (!DtypeCodes.ContainsValue(code)) throw Damaged(source, $"{column} has dtype code {code}, not an integer dtype");
        }
        if (parts.Length == 3)
            shape = parts[2].Split(',').Select(d => long.TryParse(d, out long n) && n > 0 ? n : throw new UserInputException($"{source}: column {column} has a bad static shape in {encoding}")).ToArray();
        else
        {
            if (at >= value.Length) throw Damaged(source, $"{column} has no shape");
            int head = value[at++], ndim = head >> 2, width = 1 << (head & 3);
            if (at + ndim * width > value.Length) throw Damaged(source, $"{column}'s shape runs past its end");
            shape = new long[ndim];
            for (int d = 0; d < ndim; d++, at += width)
                shape[d] = width switch
                {
                    1 => value[at],
                    2 => BinaryPrimitives.ReadUInt16LittleEndian(value[at..]),
                    4 => BinaryPrimitives.ReadUInt32LittleEndian(value[at..]),
                    _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(value[at..]), long.MaxValue),
                };
        }
        int itemBytes = (code & ~1) / 8;
        bool signed = (code & 1) == 1;
        long elements = 1;
        foreach (long d in shape) elements = d <= 0 || elements > int.MaxValue / d ? long.MaxValue : elements * d;
        var body = value[at..];
        if (elements > int.MaxValue || elements * itemBytes != body.Length)
            throw Damaged(source, $"{column} holds {body.Length} bytes for shape ({string.Join(", ", shape)})");
        var result = new uint[elements];
        for (int i = 0; i < result.Length; i++)
        {
            var item = body.Slice(i * itemBytes, itemBytes);
            long v = (itemBytes, signed) switch
            {
                (1, false) => item[0],
                (1, true) => (sbyte)item[0],
                (2, false) => BinaryPrimitives.ReadUInt16LittleEndian(item),
                (2, true) => BinaryPrimitives.ReadInt16LittleEndian(item),
                (4, false) => BinaryPrimitives.ReadUInt32LittleEndian(item),
                (4, true) => BinaryPrimitives.ReadInt32LittleEndian(item),
                (_, false) => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(item), long.MaxValue),
                _ => BinaryPrimitives.ReadInt64LittleEndian(item),
            };
            if (v < 0 || v > uint.MaxValue) throw Damaged(source, $"{column} value {v} is outside 0..2^32-1");
            result[i] = (uint)v;
        }
        return result;
    }

    private static long Integer(ReadOnlySpan<byte> value, string encoding, string source)
    {
        long v;
        switch (encoding)
        {
            case "int" or "int64" when value.Length == 8: v = BinaryPrimitives.ReadInt64LittleEndian(value); break;
            case "uint64" when value.Length == 8: v = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(value), long.MaxValue); break;
            case "uint32" when value.Length == 4: v = BinaryPrimitives.ReadUInt32LittleEndian(value); break;
            case "int32" when value.Length == 4: v = BinaryPrimitives.ReadInt32LittleEndian(value); break;
            case "str_int":
                if (!long.TryParse(Utf8(value, source), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out v))
                    throw Damaged(source, "length is not an integer");
                break;
            default: throw new UserInputException($"{source}: column length has encoding {encoding} ({value.Length} bytes), expected an integer");
        }
        return v;
    }
}
