using System.Text.Json.Serialization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;

namespace EntropyLong.Data.Tests;

public class ParquetSequenceWriterTests
{
    /// <summary>A row as a reader of the files sees it (not the writer's own type); Parquet.Net's reader wants the
    /// columns' nullability declared (required lists of required values).</summary>
    public sealed class Row
    {
        [JsonPropertyName("input_ids"), ParquetRequired, ParquetListElementRequired] public List<int> InputIds { get; set; } = [];
        [JsonPropertyName("indices"), ParquetRequired, ParquetListElementRequired] public List<List<int>> Indices { get; set; } = [];
        [JsonPropertyName("num_tokens")] public int NumTokens { get; set; }
        [JsonPropertyName("position_weighted"), ParquetRequired, ParquetListElementRequired] public List<byte>? PositionWeighted { get; set; }
    }

    internal static (List<Field> Fields, List<Row> Rows, int RowGroups) ReadPart(string path)
    {
        int groups;
        using (var stream = File.OpenRead(path))
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            groups = reader.RowGroupCount;
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        var read = ParquetSerializer.DeserializeAsync<Row>(path).GetAwaiter().GetResult();
        return (read.Schema.Fields.ToList(), read.Data.ToList(), groups);
    }

    private static (int[] Ids, (int, int)[] Indices, byte[] Weights) Sequence(int length, int seed)
    {
        var rng = new Random(seed);
        int cut = rng.Next(1, length);
        return (Enumerable.Range(0, length).Select(_ => rng.Next(0, int.MaxValue)).ToArray(), [(0, cut), (cut, length)],
            Enumerable.Range(0, length).Select(_ => (byte)rng.Next(0, 2)).ToArray());
    }

    [Fact]
    public void PartsHoldTheSequencesInOrderWithTheDocumentedColumnTypes()
    {
        using var dir = new TempDir();
        dir.Write("parquet/part-00009.parquet", "left by an earlier build");
        var sequences = new[] { 100, 300, 50, 400, 10 }.Select(Sequence).ToList();
        using (var writer = new ParquetSequenceWriter(dir["parquet"], new ParquetSequenceOptions { SizeLimit = 2000, PositionWeighted = true }))
        {
            foreach (var (ids, indices, weights) in sequences) writer.Write(ids, indices, weights);
            writer.Complete();
            Assert.Equal(4, writer.Parts);
        }

        // Value bytes per row (4 per token, 8 per span, 4, 1 per weight): 520, 1520, 270, 2020, 70 against a limit of
        // 2000: a part closes before the row that would pass it, and the oversized row stands alone.
        var parts = Directory.GetFiles(dir["parquet"]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet", "part-00003.parquet"], parts.Select(Path.GetFileName));
        var read = parts.Select(ReadPart).ToList();
        Assert.Equal([1, 2, 1, 1], read.Select(p => p.Rows.Count));
        Assert.All(read, p => Assert.Equal(1, p.RowGroups));

        var (fields, _, _) = read[0];
        Assert.Equal(["input_ids", "indices", "num_tokens", "position_weighted"], fields.Select(f => f.Name));
        Assert.Equal(typeof(int), Assert.IsType<DataField>(Assert.IsType<ListField>(fields[0]).Item).ClrType);
        var pairs = Assert.IsType<ListField>(Assert.IsType<ListField>(fields[1]).Item);
        Assert.Equal(typeof(int), Assert.IsType<DataField>(pairs.Item).ClrType);
        Assert.Equal(typeof(int), Assert.IsType<DataField>(fields[2]).ClrType);
        Assert.Equal(typeof(byte), Assert.IsType<DataField>(Assert.IsType<ListField>(fields[3]).Item).ClrType);
        Assert.All(fields, f => Assert.False(f.IsNullable, f.Name));

        var rows = read.SelectMany(p => p.Rows).ToList();
        for (int i = 0; i < sequences.Count; i++)
        {
            Assert.Equal(sequences[i].Ids, rows[i].InputIds);
            Assert.Equal(sequences[i].Indices.Select(p => new List<int> { p.Item1, p.Item2 }), rows[i].Indices);
            Assert.Equal(sequences[i].Ids.Length, rows[i].NumTokens);
            Assert.Equal(sequences[i].Weights, rows[i].PositionWeighted);
        }
    }

    [Fact]
    public void WithoutWeightsTheColumnIsAbsent()
    {
        using var dir = new TempDir();
        using (var writer = new ParquetSequenceWriter(dir.Path))
        {
            Assert.Throws<ArgumentException>(() => writer.Write([1, 2], [(0, 2)], [0, 1]));
            writer.Write([1, 2, 3], [(0, 3)]);
            writer.Complete();
        }
        var (fields, rows, _) = ReadPart(dir["part-00000.parquet"]);
        Assert.Equal(["input_ids", "indices", "num_tokens"], fields.Select(f => f.Name));
        Assert.Equal([1, 2, 3], Assert.Single(rows).InputIds);
    }
}
