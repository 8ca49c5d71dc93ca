using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Data.Tests;

public class MdsWriterTests
{
    private static (uint[] Ids, (int, int)[] Indices) MakeSample(Random rng, int length)
    {
        var ids = Enumerable.Range(0, length).Select(_ => (uint)rng.NextInt64(0, uint.MaxValue)).ToArray();
        var cuts = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => rng.Next(1, length)).Distinct().Order().ToList();
        cuts.Insert(0, 0);
        cuts.Add(length);
        return (ids, cuts.Zip(cuts.Skip(1)).Where(p => p.First < p.Second).ToArray());
    }

    [Fact]
    public void RoundTripsThroughAnIndependentReaderAcrossShards()
    {
        using var dir = new TempDir();
        var rng = new Random(11);
        // Lengths cross the u8 / u16 / u32 shape-dtype boundaries of the ndarray encoding.
        var lengths = new[] { 1, 2, 255, 256, 300, 65535, 65536, 70000, 5, 1000, 20000, 3 };
        var samples = lengths.Select(n => MakeSample(rng, n)).ToList();
        string outDir = dir["mds"];
        using (var writer = new MdsWriter(outDir, new MdsOptions { Domain = true, SizeLimit = 200_000 }))
        {
            for (int i = 0; i < samples.Count; i++) writer.Write(samples[i].Ids, samples[i].Indices, i % 2 == 0 ? "entropylong" : "é/δ");
            Assert.False(File.Exists(Path.Combine(outDir, "index.json")));
            writer.Complete();
            Assert.True(writer.Shards > 2);
        }

        var back = MdsReader.Read(outDir).ToList();
        Assert.Equal(samples.Count, back.Count);
        Assert.Equal(samples.Count, MdsReader.Count(outDir));
        for (int i = 0; i < samples.Count; i++)
        {
            Assert.Equal(samples[i].Ids, back[i].InputIds);
            Assert.Equal(samples[i].Ids.Length, back[i].Length);
            Assert.Equal(samples[i].Indices, back[i].Indices);
            Assert.Equal(i % 2 == 0 ? "entropylong" : "é/δ", back[i].Domain);
        }
        // Several samples never make a shard larger than the limit.
        foreach (string shard in Directory.GetFiles(outDir, "shard.*.mds"))
            if (BitConverter.ToUInt32(File.ReadAllBytes(shard)) > 1) Assert.InRange(new FileInfo(shard).Length, 1, 200_000);
    }

    [Fact]
    public void IndexAndShardLayoutMatchStreaming()
    {
        using var dir = new TempDir();
        using (var writer = new MdsWriter(dir.Path))
        {
            writer.Write([7u, 8u, 9u], [(0, 2), (2, 3)]);
            writer.Complete();
        }
        // What streaming's MDSWriter writes for this sample, byte for byte (json.dumps, sort_keys=True).
        const string config = "{\"column_encodings\": [\"ndarray:uint32\", \"ndarray:uint32\", \"uint64\"], " +
            "\"column_names\": [\"indices\", \"input_ids\", \"length\"], \"column_sizes\": [null, null, 8], " +
            "\"compression\": null, \"format\": \"mds\", \"hashes\": [], \"size_limit\": 67108864, \"version\": 2}";
        var expected = new List<byte>();
        void U32(uint v) => expected.AddRange(BitConverter.GetBytes(v));
        int sampleBytes = 4 + 4 + (1 + 2 + 16) + (1 + 1 + 12) + 8;
        int header = 4 + 8 + config.Length;
        U32(1); U32((uint)header); U32((uint)(header + sampleBytes));
        expected.AddRange(System.Text.Encoding.ASCII.GetBytes(config));
        U32(19); U32(14);                                  // sizes of indices, input_ids
        expected.AddRange(new byte[] { 2 << 2 | 0, 2, 2 }); // ndim 2, shape dtype uint8, shape (2, 2)
        U32(0); U32(2); U32(2); U32(3);
        expected.AddRange(new byte[] { 1 << 2 | 0, 3 });    // ndim 1, shape (3,)
        U32(7); U32(8); U32(9);
        expected.AddRange(BitConverter.GetBytes(3UL));
        Assert.Equal(expected, File.ReadAllBytes(dir["shard.00000.mds"]));

        string index = File.ReadAllText(dir["index.json"]);
        Assert.Equal("{\"shards\": [{" + config[1..^("\"size_limit\": 67108864, \"version\": 2}".Length)] +
            $"\"raw_data\": {{\"basename\": \"shard.00000.mds\", \"bytes\": {expected.Count}, \"hashes\": {{}}}}, \"samples\": 1, " +
            "\"size_limit\": 67108864, \"version\": 2, \"zip_data\": null}], \"version\": 2}", index);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(index).RootElement.ValueKind);
    }

    [Fact]
    public void PositionWeightsAreAUint8ColumnAfterLength()
    {
        using var dir = new TempDir();
        using (var writer = new MdsWriter(dir.Path, new MdsOptions { PositionWeighted = true }))
        {
            writer.Write([7u, 8u, 9u], [(0, 2), (2, 3)], positionWeighted: [0, 1, 0]);
            writer.Complete();
        }
        // Columns sorted by name as streaming sorts them: position_weighted comes after length, its size after input_ids'.
        const string config = "{\"column_encodings\": [\"ndarray:uint32\", \"ndarray:uint32\", \"uint64\", \"ndarray:uint8\"], " +
            "\"column_names\": [\"indices\", \"input_ids\", \"length\", \"position_weighted\"], \"column_sizes\": [null, null, 8, null], " +
            "\"compression\": null, \"format\": \"mds\", \"hashes\": [], \"size_limit\": 67108864, \"version\": 2}";
        var expected = new List<byte>();
        void U32(uint v) => expected.AddRange(BitConverter.GetBytes(v));
        int sampleBytes = 4 + 4 + 4 + (1 + 2 + 16) + (1 + 1 + 12) + 8 + (1 + 1 + 3);
        int header = 4 + 8 + config.Length;
        U32(1); U32((uint)header); U32((uint)(header + sampleBytes));
        expected.AddRange(System.Text.Encoding.ASCII.GetBytes(config));
        U32(19); U32(14); U32(5);                           // sizes of indices, input_ids, position_weighted
        expected.AddRange(new byte[] { 2 << 2 | 0, 2, 2 });
        U32(0); U32(2); U32(2); U32(3);
        expected.AddRange(new byte[] { 1 << 2 | 0, 3 });
        U32(7); U32(8); U32(9);
        expected.AddRange(BitConverter.GetBytes(3UL));
        expected.AddRange(new byte[] { 1 << 2 | 0, 3, 0, 1, 0 }); // ndim 1, shape (3,), uint8 values
        Assert.Equal(expected, File.ReadAllBytes(dir["shard.00000.mds"]));
        Assert.Contains("\"column_names\": [\"indices\", \"input_ids\", \"length\", \"position_weighted\"]", File.ReadAllText(dir["index.json"]));

        var back = MdsReader.Read(dir.Path).Single();
        Assert.Equal([0, 1, 0], back.PositionWeighted);
        Assert.Equal([7u, 8u, 9u], back.InputIds);
        Assert.Equal(3, back.Length);
    }

    [Fact]
    public void PositionWeightsMustMatchTheColumnAndTheTokens()
    {
        using var dir = new TempDir();
        using (var weighted = new MdsWriter(dir["on"], new MdsOptions { PositionWeighted = true }))
        {
            Assert.Throws<ArgumentException>(() => weighted.Write([1u, 2u], [(0, 2)]));
            Assert.Throws<ArgumentException>(() => weighted.Write([1u, 2u], [(0, 2)], positionWeighted: [1]));
        }
        using var plain = new MdsWriter(dir["off"]);
        Assert.Throws<ArgumentException>(() => plain.Write([1u, 2u], [(0, 2)], positionWeighted: [1, 0]));
        plain.Write([1u, 2u], [(0, 2)]);
        plain.Complete();
        Assert.Null(MdsReader.Read(dir["off"]).Single().PositionWeighted);
    }

    [Fact]
    public void OversizedSampleGetsAShardOfItsOwn()
    {
        using var dir = new TempDir();
        using (var writer = new MdsWriter(dir.Path, new MdsOptions { Indices = false, SizeLimit = 1000 }))
        {
            writer.Write(new uint[10]);
            writer.Write(new uint[5000]);
            writer.Write(new uint[10]);
            writer.Complete();
            Assert.Equal(3, writer.Shards);
        }
        Assert.Equal([10, 5000, 10], MdsReader.Read(dir.Path).Select(s => s.InputIds.Length));
    }

    [Fact]
    public void InterruptedRunLeavesNoIndex()
    {
        using var dir = new TempDir();
        using (var writer = new MdsWriter(dir.Path, new MdsOptions { Indices = false, SizeLimit = 1000 }))
        {
            for (int i = 0; i < 10; i++) writer.Write(new uint[100]);
        }
        Assert.False(File.Exists(dir["index.json"]));
        Assert.NotEmpty(Directory.GetFiles(dir.Path, "shard.*.mds"));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));
    }

    [Fact]
    public void ExistingDatasetIsKeptUnlessOverwriteIsAsked()
    {
        using var dir = new TempDir();
        using (var writer = new MdsWriter(dir.Path, new MdsOptions { Indices = false }))
        {
            writer.Write([1u]);
            writer.Complete();
        }
        var e = Assert.Throws<UserInputException>(() => new MdsWriter(dir.Path));
        Assert.Contains("already holds an MDS dataset", e.Message);

        using (var writer = new MdsWriter(dir.Path, new MdsOptions { Indices = false, Overwrite = true }))
        {
            Assert.False(File.Exists(dir["index.json"]));
            writer.Write([5u, 6u]);
            writer.Complete();
        }
        Assert.Equal([5u, 6u], MdsReader.Read(dir.Path).Single().InputIds);
    }

    [Fact]
    public void SamplesThatStreamingCannotEncodeAreRejected()
    {
        using var dir = new TempDir();
        using var writer = new MdsWriter(dir.Path);
        Assert.Throws<ArgumentException>(() => writer.Write([], [(0, 1)]));
        Assert.Throws<ArgumentException>(() => writer.Write([1u, 2u]));
        Assert.Throws<ArgumentException>(() => writer.Write([1u, 2u], [(0, 3)]));
        Assert.Throws<ArgumentException>(() => writer.Write([1u, 2u], [(0, 2)], "domain-but-column-off"));
    }
}
