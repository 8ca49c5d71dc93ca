using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Data.Tests;

public class MdsReaderTests
{
    private sealed record Col(string Name, string Encoding, int? Size);

    /// <summary>Writes one shard and its index.json by hand, from the format description, for column layouts
    /// <see cref="MdsWriter"/> never writes (other encodings, fixed-size and unknown columns).</summary>
    private static void WriteDataset(string dir, Col[] columns, params byte[][][] samples)
    {
        string q(string s) => $"\"{s}\"";
        string config = $"{{\"column_encodings\": [{string.Join(", ", columns.Select(c => q(c.Encoding)))}], " +
                        $"\"column_names\": [{string.Join(", ", columns.Select(c => q(c.Name)))}], " +
                        $"\"column_sizes\": [{string.Join(", ", columns.Select(c => c.Size?.ToString() ?? "null"))}], " +
                        "\"compression\": null, \"format\": \"mds\", \"hashes\": [], \"size_limit\": 67108864, \"version\": 2}";
        var bodies = samples.Select(cols =>
        {
            var b = new List<byte>();
            for (int c = 0; c < columns.Length; c++)
                if (columns[c].Size is null) b.AddRange(BitConverter.GetBytes((uint)cols[c].Length));
            foreach (var col in cols) b.AddRange(col);
            return b.ToArray();
        }).ToList();
        var shard = new List<byte>(BitConverter.GetBytes((uint)samples.Length));
        uint offset = (uint)(4 + 4 * (samples.Length + 1) + config.Length);
        foreach (var body in bodies.Prepend([]))
        {
            offset += (uint)body.Length;
            shard.AddRange(BitConverter.GetBytes(offset));
        }
        shard.AddRange(Encoding.ASCII.GetBytes(config));
        foreach (var body in bodies) shard.AddRange(body);
        File.WriteAllBytes(Path.Combine(dir, "shard.00000.mds"), shard.ToArray());
        File.WriteAllText(Path.Combine(dir, "index.json"),
            $"{{\"shards\": [{config[..^1]}, \"raw_data\": {{\"basename\": \"shard.00000.mds\", \"bytes\": {shard.Count}, \"hashes\": {{}}}}, " +
            $"\"samples\": {samples.Length}, \"zip_data\": null}}], \"version\": 2}}");
    }

    private static byte[] Cat(params IEnumerable<byte>[] parts) => parts.SelectMany(p => p).ToArray();
    private static byte[] U16(params ushort[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    private static byte[] I64(params long[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
    private static byte[] U32(params uint[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void ReadsOtherIntegerEncodingsAndSkipsUnknownColumns()
    {
        using var dir = new TempDir();
        // input_ids: ndarray with the dtype in each sample (uint16 = code 16); indices: static dtype int64, dynamic
        // shape; length: int (int64); unknown columns of fixed size (float32), variable size (json) and ndarray:uint8.
        Col[] columns =
        [
            new("a_weight", "float32", 4), new("indices", "ndarray:int64", null), new("input_ids", "ndarray", null),
            new("length", "int", 8), new("mask", "ndarray:uint8", null), new("meta", "json", null),
        ];
        WriteDataset(dir.Path, columns,
        [
            BitConverter.GetBytes(0.5f), Cat([2 << 2, 2, 2], I64(0, 1, 1, 3)), Cat([16, 1 << 2, 3], U16(7, 65535, 9)),
            I64(3), Cat([1 << 2, 3], [1, 0, 1]), Encoding.UTF8.GetBytes("{\"x\": [1, 2]}"),
        ],
        [
            BitConverter.GetBytes(1f), Cat([2 << 2, 1, 2], I64(0, 1)), Cat([16, 1 << 2, 1], U16(4)),
            I64(1), Cat([1 << 2, 1], [1]), Encoding.UTF8.GetBytes("null"),
        ]);
        var samples = MdsReader.Read(dir.Path).ToList();
        Assert.Equal(2, samples.Count);
        Assert.Equal([7u, 65535u, 9u], samples[0].InputIds);
        Assert.Equal([(0, 1), (1, 3)], samples[0].Indices!);
        Assert.Equal(3, samples[0].Length);
        Assert.Null(samples[0].Domain);
        Assert.Equal([4u], samples[1].InputIds);
        Assert.Equal([(0, 1)], samples[1].Indices!);
        Assert.EndsWith("shard.00000.mds sample 1", samples[1].Source);
    }

    [Fact]
    public void ReadsAStaticShape()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, [new("input_ids", "ndarray:uint32:3", 12)], [U32(1, 2, 3)]);
        var sample = Assert.Single(MdsReader.Read(dir.Path));
        Assert.Equal([1u, 2u, 3u], sample.InputIds);
        Assert.Null(sample.Indices);
        Assert.Null(sample.Length);
    }

    private static string ValidDataset(TempDir dir)
    {
        using var writer = new MdsWriter(dir.Path);
        writer.Write([1u, 2u, 3u], [(0, 3)]);
        writer.Write([4u, 5u], [(0, 1), (1, 2)]);
        writer.Complete();
        return dir["shard.00000.mds"];
    }

    private static string Error(string dir) => Assert.Throws<UserInputException>(() => MdsReader.Read(dir).ToList()).Message;

    [Fact]
    public void MissingOrDamagedFilesAreClearErrorsNamingTheFile()
    {
        using (var dir = new TempDir())
            Assert.Contains($"{dir["index.json"]}: not found", Error(dir.Path));

        using (var dir = new TempDir())
        {
            ValidDataset(dir);
            File.WriteAllText(dir["index.json"], "{\"shards\": [");
            Assert.StartsWith($"{dir["index.json"]}:1: not an MDS index", Error(dir.Path)); // the parser's line, counted from 1
        }
        using (var dir = new TempDir())
        {
            File.Delete(ValidDataset(dir));
            Assert.StartsWith($"{dir["shard.00000.mds"]}: shard listed in index.json not found", Error(dir.Path));
        }
        using (var dir = new TempDir())
        {
            string shard = ValidDataset(dir);
            File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..^3]);
            Assert.StartsWith($"{shard}: ", Error(dir.Path));
            Assert.Contains("index.json says", Error(dir.Path));
        }
        using (var dir = new TempDir())
        {
            // the same length, but the second sample's input_ids size claims more bytes than the sample holds
            string shard = ValidDataset(dir);
            var bytes = File.ReadAllBytes(shard);
            int second = (int)BitConverter.ToUInt32(bytes, 8);
            BitConverter.GetBytes(1000u).CopyTo(bytes, second + 4);
            File.WriteAllBytes(shard, bytes);
            Assert.Equal($"{shard} sample 1: damaged MDS sample (column input_ids runs past its end)", Error(dir.Path));
        }
        using (var dir = new TempDir())
        {
            // offsets that do not span the file
            string shard = ValidDataset(dir);
            var bytes = File.ReadAllBytes(shard);
            BitConverter.GetBytes(7u).CopyTo(bytes, 4);
            File.WriteAllBytes(shard, bytes);
            Assert.Equal($"{shard}: damaged MDS shard (its sample offsets do not span the file)", Error(dir.Path));
        }
    }

    [Fact]
    public void PositionWeightsAreReadAsUint8OneEachAndOtherwiseSkipped()
    {
        Col[] uint8 = [new("input_ids", "ndarray:uint32", null), new("position_weighted", "ndarray:uint8", null)];
        using (var dir = new TempDir())
        {
            WriteDataset(dir.Path, uint8, [Cat([1 << 2, 2], U32(5, 6)), [1 << 2, 2, 0, 1]]);
            Assert.Equal([0, 1], Assert.Single(MdsReader.Read(dir.Path)).PositionWeighted);
        }
        using (var dir = new TempDir())
        {
            // The fork would pair three weights with two tokens.
            WriteDataset(dir.Path, uint8, [Cat([1 << 2, 2], U32(5, 6)), [1 << 2, 3, 0, 1, 1]]);
            Assert.EndsWith("sample 0: damaged MDS sample (position_weighted holds 3 values for 2 input_ids)", Error(dir.Path));
        }
        using (var dir = new TempDir())
        {
            // Stored float weights, which the fork also reads, are another producer's: skipped like an unknown column.
            WriteDataset(dir.Path, [uint8[0], new("position_weighted", "ndarray:float32", null)],
                [Cat([1 << 2, 2], U32(5, 6)), Cat([1 << 2, 2], BitConverter.GetBytes(0f), BitConverter.GetBytes(5f))]);
            var sample = Assert.Single(MdsReader.Read(dir.Path));
            Assert.Null(sample.PositionWeighted);
            Assert.Equal([5u, 6u], sample.InputIds);
        }
    }

    [Fact]
    public void NonIntegerTokenColumnsAreRefused()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, [new("input_ids", "ndarray:float32", null)], [Cat([1 << 2, 1], BitConverter.GetBytes(1f))]);
        Assert.Contains("column input_ids has dtype float32, expected an integer dtype", Error(dir.Path));
    }
}
