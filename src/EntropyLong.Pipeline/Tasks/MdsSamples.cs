using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace EntropyLong.Pipeline.Tasks;

/// <summary>Reads back the samples of an MDS folder written by <see cref="BuildRunner"/> (columns indices, input_ids,
/// length; no compression), for the merge.</summary>
internal static class MdsSamples
{
    public static IEnumerable<(uint[] Ids, (int Start, int End)[] Bounds)> Read(string folder)
    {
        string indexPath = Path.Combine(folder, Data.MdsWriter.IndexFile);
        using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        foreach (var shard in index.RootElement.GetProperty("shards").EnumerateArray())
        {
            var names = shard.GetProperty("column_names").EnumerateArray().Select(e => e.GetString()).ToArray();
            if (!names.SequenceEqual(["indices", "input_ids", "length"]))
                throw new InvalidDataException($"{indexPath}: unexpected columns {string.Join(",", names)}");
            string path = Path.Combine(folder, shard.GetProperty("raw_data").GetProperty("basename").GetString()!);
            byte[] data = File.ReadAllBytes(path);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
            for (int i = 0; i < count; i++)
            {
                int at = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4 + 4 * i));
                at += 8; // the two variable-size column lengths
                var bounds = MemoryMarshal.Cast<uint, (int, int)>(NdArray(data, ref at)).ToArray();
                var ids = NdArray(data, ref at).ToArray();
                yield return (ids, bounds);
            }
        }
    }

    private static ReadOnlySpan<uint> NdArray(byte[] data, ref int at)
    {
        int head = data[at++], ndim = head >> 2, width = (head & 3) switch { 0 => 1, 1 => 2, _ => 4 };
        int elements = 1;
        for (int d = 0; d < ndim; d++, at += width)
            elements *= width switch
            {
                1 => data[at],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at)),
                _ => (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)),
            };
        var values = MemoryMarshal.Cast<byte, uint>(data.AsSpan(at, 4 * elements));
        at += 4 * elements;
        return values;
    }
}
