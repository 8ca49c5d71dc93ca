using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace EntropyLong.Data.Tests;

/// <summary>A reader of MosaicML-streaming MDS folders written from the format description (streaming's
/// mds/reader.py and encodings.py), sharing no code with <see cref="MdsWriter"/>: index.json lists the shards;
/// a shard is uint32 n, uint32 offsets[n+1], the JSON config, then samples; a sample is a uint32 size per
/// variable-size column, then each column's bytes in column order.</summary>
internal static class MdsTestReader
{
    public sealed record Sample(Dictionary<string, object> Columns)
    {
        public uint[] InputIds => ((Array2D)Columns["input_ids"]).Values;
        public ulong Length => (ulong)Columns["length"];
        public Array2D? Indices => Columns.TryGetValue("indices", out var v) ? (Array2D)v : null;
        public string? Domain => Columns.TryGetValue("domain", out var v) ? (string)v : null;
    }

    /// <summary>A decoded ndarray:uint32: its shape and flat values.</summary>
    public sealed record Array2D(int[] Shape, uint[] Values);

    public static List<Sample> ReadAll(string dir)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "index.json")));
        Assert.Equal(2, index.RootElement.GetProperty("version").GetInt32());
        var samples = new List<Sample>();
        foreach (var shard in index.RootElement.GetProperty("shards").EnumerateArray())
        {
            Assert.Equal("mds", shard.GetProperty("format").GetString());
            Assert.Equal(JsonValueKind.Null, shard.GetProperty("compression").ValueKind);
            Assert.Equal(JsonValueKind.Null, shard.GetProperty("zip_data").ValueKind);
            var raw = shard.GetProperty("raw_data");
            byte[] data = File.ReadAllBytes(Path.Combine(dir, raw.GetProperty("basename").GetString()!));
            Assert.Equal(raw.GetProperty("bytes").GetInt64(), data.Length);
            long limit = shard.GetProperty("size_limit").GetInt64();

            var names = shard.GetProperty("column_names").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var encodings = shard.GetProperty("column_encodings").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var sizes = shard.GetProperty("column_sizes").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (int?)null : e.GetInt32()).ToArray();

            uint n = BinaryPrimitives.ReadUInt32LittleEndian(data);
            Assert.Equal(shard.GetProperty("samples").GetInt32(), (int)n);
            var offsets = Enumerable.Range(0, (int)n + 1).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4 + 4 * i))).ToArray();
            int configStart = 4 + 4 * ((int)n + 1);
            Assert.Equal((uint)data.Length, offsets[^1]);
            if (n > 1) Assert.True(data.Length <= limit, $"shard of {data.Length} bytes over the limit {limit}");

            // The embedded config is the shard entry of index.json without samples/raw_data/zip_data.
            using var config = JsonDocument.Parse(data.AsMemory(configStart, (int)offsets[0] - configStart));
            foreach (var prop in shard.EnumerateObject().Where(p => p.Name is not ("samples" or "raw_data" or "zip_data")))
                Assert.Equal(prop.Value.GetRawText(), config.RootElement.GetProperty(prop.Name).GetRawText());
            Assert.Equal(shard.EnumerateObject().Count() - 3, config.RootElement.EnumerateObject().Count());

            for (int s = 0; s < n; s++)
                samples.Add(DecodeSample(data.AsSpan((int)offsets[s], (int)(offsets[s + 1] - offsets[s])), names, encodings, sizes));
        }
        return samples;
    }

    private static Sample DecodeSample(ReadOnlySpan<byte> bytes, string[] names, string[] encodings, int?[] fixedSizes)
    {
        int at = 0;
        var sizes = new int[names.Length];
        for (int c = 0; c < names.Length; c++)
        {
            if (fixedSizes[c] is { } f) sizes[c] = f;
            else { sizes[c] = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]); at += 4; }
        }
        var columns = new Dictionary<string, object>();
        for (int c = 0; c < names.Length; c++)
        {
            var value = bytes.Slice(at, sizes[c]);
            columns[names[c]] = encodings[c] switch
            {
                "str" => Encoding.UTF8.GetString(value),
                "uint64" => BinaryPrimitives.ReadUInt64LittleEndian(value),
                "int" => (ulong)BinaryPrimitives.ReadInt64LittleEndian(value),
                "ndarray:uint32" => DecodeUInt32Array(value),
                var e => throw new InvalidDataException($"encoding {e} not handled by the test reader"),
            };
            at += sizes[c];
        }
        Assert.Equal(bytes.Length, at);
        return new Sample(columns);
    }

    // Fixed dtype, dynamic shape: [ndim << 2 | shape dtype (0 u8, 1 u16, 2 u32, 3 u64)] [shape] [values].
    private static Array2D DecodeUInt32Array(ReadOnlySpan<byte> value)
    {
        int ndim = value[0] >> 2, code = value[0] & 3, width = 1 << code;
        var shape = new int[ndim];
        for (int d = 0; d < ndim; d++)
        {
            var s = value.Slice(1 + d * width, width);
            shape[d] = code switch
            {
                0 => s[0],
                1 => BinaryPrimitives.ReadUInt16LittleEndian(s),
                2 => (int)BinaryPrimitives.ReadUInt32LittleEndian(s),
                _ => (int)BinaryPrimitives.ReadUInt64LittleEndian(s),
            };
        }
        var body = value[(1 + ndim * width)..];
        Assert.Equal(shape.Aggregate(1, (a, b) => a * b) * 4, body.Length);
        var values = new uint[body.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadUInt32LittleEndian(body[(4 * i)..]);
        return new Array2D(shape, values);
    }
}
