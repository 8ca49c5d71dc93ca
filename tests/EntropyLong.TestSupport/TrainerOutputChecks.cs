using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EntropyLong.Core;
using EntropyLong.Data;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;
using YamlDotNet.Serialization;

namespace EntropyLong.TestSupport;

/// <summary>What a finished build folder hands to trainers, checked as they read it: mds/ through the project's
/// <see cref="MdsReader"/>, parquet/ through Parquet.Net, README.md as YAML front matter and markdown, all against
/// sequences.jsonl and stats.json.</summary>
public static class TrainerOutputChecks
{
    public static List<SequenceRecord> Sequences(string buildDir) =>
        BuildRecords.Read<SequenceRecord>(Path.Combine(buildDir, BuildFolder.Sequences)).Select(r => r.Record).ToList();

    /// <summary>Every MDS sample's <c>indices</c> tile its tokens from 0 to the end, one span per sample of its
    /// sequences.jsonl line and none shorter than 2 tokens (ProLong drops those); each span's tokens are its sample's
    /// text tokenized, and that text is the sample's contexts, each followed by the separator, then the whole document;
    /// every context's token range and anchor token lie inside its sample's span, the anchor in the document. So
    /// document masking never separates a document from its contexts. Returns how many contexts were checked.</summary>
    public static int AssertEverySampleIsOneSpan(string buildDir, IReadOnlyDictionary<string, string> documents, string separator,
        ITrainingTokenizer tokenizer)
    {
        var records = Sequences(buildDir);
        var samples = MdsReader.Read(Path.Combine(buildDir, BuildFolder.Mds)).ToList();
        Assert.Equal(records.Count, samples.Count);
        int contexts = 0;
        foreach (var (record, mds) in records.Zip(samples))
        {
            var spans = mds.Indices ?? throw new Xunit.Sdk.XunitException($"{mds.Source}: no indices column");
            Assert.Equal(record.Samples.Count, spans.Length);
            Assert.Equal(record.NumTokens, mds.InputIds.Length);
            int at = 0;
            foreach (var (start, end) in spans)
            {
                Assert.True(start == at && end - start >= 2, $"{mds.Source}: span [{start}, {end}) after token {at}");
                at = end;
            }
            Assert.Equal(mds.InputIds.Length, at);
            for (int i = 0; i < spans.Length; i++)
            {
                var (start, end) = spans[i];
                var sample = record.Samples[i];
                Assert.Equal((start, end), (sample.StartToken, sample.EndToken));
                string text = record.Text[sample.StartChar..sample.EndChar];
                Assert.Equal(string.Concat(sample.Contexts.Select(c => record.Text[c.StartChar..c.EndChar] + separator)) + documents[sample.DocumentId], text);
                Assert.Equal(tokenizer.Encode(text), mds.InputIds[start..end].Select(id => (int)id));
                int documentStart = sample.Contexts.Count == 0 ? start : sample.Contexts.Max(c => c.EndToken!.Value);
                foreach (var c in sample.Contexts)
                {
                    Assert.True(start <= c.StartToken && c.StartToken < c.EndToken && c.EndToken <= end,
                        $"{mds.Source}: context [{c.StartToken}, {c.EndToken}) outside its sample's span [{start}, {end})");
                    Assert.True(documentStart <= c.AnchorToken && c.AnchorToken < end,
                        $"{mds.Source}: anchor token {c.AnchorToken} outside its document [{documentStart}, {end})");
                    contexts++;
                }
            }
        }
        return contexts;
    }

    /// <summary>The <c>position_weighted</c> column of every MDS sample is 1 exactly at the anchor tokens sequences.jsonl
    /// lists for its contexts and 0 elsewhere. Returns how many tokens are marked.</summary>
    public static int AssertWeightsMarkTheAnchors(string buildDir)
    {
        int marked = 0;
        foreach (var (record, mds) in Sequences(buildDir).Zip(MdsReader.Read(Path.Combine(buildDir, BuildFolder.Mds))))
        {
            var weights = mds.PositionWeighted ?? throw new Xunit.Sdk.XunitException($"{mds.Source}: no position_weighted column");
            var anchors = record.Samples.SelectMany(s => s.Contexts).Select(c => c.AnchorToken!.Value).Distinct().Order();
            Assert.Equal(anchors, Enumerable.Range(0, weights.Length).Where(t => weights[t] == 1));
            Assert.All(weights, w => Assert.True(w <= 1));
            marked += anchors.Count();
        }
        return marked;
    }

    /// <summary>A row of parquet/ as a reader declares it (Parquet.Net's reader wants the nullability: required lists of
    /// required values).</summary>
    public sealed class ParquetRow
    {
        [JsonPropertyName("input_ids"), ParquetRequired, ParquetListElementRequired] public List<int> InputIds { get; set; } = [];
        [JsonPropertyName("indices"), ParquetRequired, ParquetListElementRequired] public List<List<int>> Indices { get; set; } = [];
        [JsonPropertyName("num_tokens")] public int NumTokens { get; set; }
        [JsonPropertyName("position_weighted"), ParquetRequired, ParquetListElementRequired] public List<byte>? PositionWeighted { get; set; }
    }

    /// <summary>The rows of parquet/ in part order equal the MDS samples: tokens, spans, lengths and weights. Returns the
    /// number of part files.</summary>
    public static int AssertParquetHoldsTheMdsSequences(string buildDir)
    {
        var parts = Directory.GetFiles(Path.Combine(buildDir, BuildFolder.Parquet), BuildFolder.ParquetParts).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, parts.Count).Select(BuildFolder.ParquetPart), parts.Select(p => Path.GetFileName(p)));
        var rows = parts.SelectMany(p => ParquetSerializer.DeserializeAsync<ParquetRow>(p).GetAwaiter().GetResult().Data).ToList();
        var samples = MdsReader.Read(Path.Combine(buildDir, BuildFolder.Mds)).ToList();
        Assert.Equal(samples.Count, rows.Count);
        foreach (var (row, mds) in rows.Zip(samples))
        {
            Assert.Equal(mds.InputIds.Select(id => (int)id), row.InputIds);
            Assert.Equal(mds.Indices!.Select(s => new List<int> { s.Start, s.End }), row.Indices);
            Assert.Equal(mds.InputIds.Length, row.NumTokens);
            Assert.Equal(mds.PositionWeighted, row.PositionWeighted?.ToArray());
        }
        return parts.Count;
    }

    /// <summary>README.md's YAML front matter (parsed) and the markdown after it.</summary>
    public static (Dictionary<string, object?> FrontMatter, string Body) ReadCard(string buildDir)
    {
        string card = File.ReadAllText(Path.Combine(buildDir, BuildFolder.Card));
        var match = Regex.Match(card, @"\A---\n(.*?)\n---\n(.*)\z", RegexOptions.Singleline);
        Assert.True(match.Success, "README.md does not start with YAML front matter between --- lines");
        var yaml = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(match.Groups[1].Value);
        return (yaml, match.Groups[2].Value);
    }

    /// <summary>The card's counts table holds every counter of stats.json (documents_skipped by reason), with its
    /// value; the size category fits the number of sequences. Returns the number of counters compared.</summary>
    public static int AssertCardCountsMatchStats(string buildDir)
    {
        var (yaml, body) = ReadCard(buildDir);
        string counts = body[body.IndexOf("## Counts", StringComparison.Ordinal)..];
        counts = counts[..counts.IndexOf("\n## ", 1, StringComparison.Ordinal)];
        var table = Regex.Matches(counts, @"^\| (\S+) \| (\S+) \|$", RegexOptions.Multiline)
            .Where(m => m.Groups[1].Value is not ("counter" or "---")).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        using var stats = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(buildDir, BuildFolder.Stats)));
        var expected = new Dictionary<string, JsonElement>();
        foreach (var p in stats.RootElement.EnumerateObject().Where(p => p.Name != "seconds"))
            if (p.Value.ValueKind == JsonValueKind.Object)
                foreach (var reason in p.Value.EnumerateObject()) expected[$"{p.Name}.{reason.Name}"] = reason.Value;
            else expected[p.Name] = p.Value;
        Assert.Equal(expected.Keys.Order(), table.Keys.Order());
        foreach (var (name, value) in expected)
            if (value.TryGetInt64(out long n)) Assert.Equal(n.ToString(CultureInfo.InvariantCulture), table[name]);
            else Assert.Equal(value.GetDouble(), double.Parse(table[name], CultureInfo.InvariantCulture), 4);
        long sequences = stats.RootElement.GetProperty("sequences").GetInt64();
        Assert.Contains($"**{sequences.ToString("N0", CultureInfo.InvariantCulture)} sequences**", body);
        string category = Assert.Single((List<object>)yaml["size_categories"]!).ToString()!;
        Assert.Equal(sequences < 1000 ? "n<1K" : sequences < 10_000 ? "1K<n<10K" : "10K<n<100K", category);
        return expected.Count;
    }
}
