using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>`build --min-document-gain` (or `min_document_gain` in a config file) reaches the build, the recorded
/// configuration, stats.json, details.jsonl and the dataset card; judgements stand, only what is kept changes.</summary>
[Collection("cli")]
public class DocumentGainTests(CliFixture cli)
{
    [Fact]
    public void TheFlagAndTheConfigKeyKeepTheChunksAboveTheGainAndAreRecorded()
    {
        string dir = cli.BuildWithFlagAndConfigKey("gain", ["--min-document-gain", "0"], """{"min_document_gain": 0}""");
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.Equal(0, recorded.RootElement.GetProperty("options").GetProperty("min_document_gain").GetDouble());
        using var plain = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(cli.Reference(), "config.json")));
        Assert.Equal(JsonValueKind.Null, plain.RootElement.GetProperty("options").GetProperty("min_document_gain").ValueKind);
        Assert.DoesNotContain("rest of the document", File.ReadAllText(Path.Combine(cli.Reference(), "README.md")));
        Assert.Contains("| kept chunks remove more of the entropy of the rest of the document than | 0 |", File.ReadAllText(Path.Combine(dir, "README.md")));

        var reference = Candidates(cli.Reference());
        var gained = Candidates(dir);
        Assert.Equal(reference.Select(c => (c.Chunk, c.Delta)), gained.Select(c => (c.Chunk, c.Delta)));
        foreach (var (before, after) in reference.Zip(gained))
        {
            if (!before.Kept) { Assert.Equal(before, after); continue; }
            Assert.NotNull(after.Gain);
            Assert.Equal(after.Gain > 0, after.Kept);
            Assert.Equal(!after.Kept, after.Below);
        }
        // The fixture's tiny scorer hardly reads its context: its gains are a few thousandths either side of 0.
        Assert.Contains(gained, c => c.Below);
        Assert.Contains(gained, c => c.Kept);
        using var stats = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "stats.json")));
        Assert.Equal(gained.Count(c => c.Below), stats.RootElement.GetProperty("candidates_below_document_gain").GetInt64());
        Assert.True(stats.RootElement.GetProperty("document_gain_forward_tokens").GetInt64() > 0);
    }

    // Every candidate of every anchor, in the order details.jsonl lists them.
    private static List<(string Chunk, double? Delta, bool Kept, double? Gain, bool Below)> Candidates(string build) =>
        File.ReadLines(Path.Combine(build, "details.jsonl")).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("anchors").EnumerateArray())
            .SelectMany(a => a.GetProperty("candidates").EnumerateArray()).Select(c => (c.GetProperty("chunk_id").GetString()!,
                c.GetProperty("delta").ValueKind == JsonValueKind.Number ? c.GetProperty("delta").GetDouble() : (double?)null,
                c.GetProperty("kept").GetBoolean(),
                c.TryGetProperty("document_gain", out var g) ? g.GetDouble() : (double?)null,
                c.TryGetProperty("below_document_gain", out var b) && b.GetBoolean())).ToList();
}
