using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>`build --max-chunks-per-anchor` (or `max_chunks_per_anchor` in a config file) reaches the build, the recorded
/// configuration, stats.json, details.jsonl and the dataset card.</summary>
[Collection("cli")]
public class PerAnchorCapTests(CliFixture cli)
{
    [Fact]
    public void TheFlagAndTheConfigKeyKeepOneChunkPerAnchorAndAreRecorded()
    {
        string dir = cli.BuildWithFlagAndConfigKey("cap", ["--max-chunks-per-anchor", "1"], """{"max_chunks_per_anchor": 1}""");
        using var recorded = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.Equal(1, recorded.RootElement.GetProperty("options").GetProperty("max_chunks_per_anchor").GetInt32());
        using var plain = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(cli.Reference(), "config.json")));
        Assert.Equal(0, plain.RootElement.GetProperty("options").GetProperty("max_chunks_per_anchor").GetInt32());
        Assert.DoesNotContain("kept chunks per anchor", File.ReadAllText(Path.Combine(cli.Reference(), "README.md")));
        Assert.Contains("| kept chunks per anchor (best retrieval rank first), at most | 1 |", File.ReadAllText(Path.Combine(dir, "README.md")));

        // The reference build (no cap) keeps several chunks at some anchors; capped, each anchor keeps its best-ranked.
        var reference = Anchors(cli.Reference());
        var capped = Anchors(dir);
        Assert.Equal(reference.Count, capped.Count);
        Assert.Contains(reference, a => a.Count(c => c.Kept) > 1);
        long cappedCount = 0;
        for (int i = 0; i < reference.Count; i++)
        {
            Assert.Equal(reference[i].Select(c => (c.Chunk, c.Delta)), capped[i].Select(c => (c.Chunk, c.Delta)));
            var kept = reference[i].Where(c => c.Kept).Select(c => c.Chunk).ToList();
            Assert.Equal(kept.Take(1), capped[i].Where(c => c.Kept).Select(c => c.Chunk));
            Assert.Equal(kept.Skip(1), capped[i].Where(c => c.Capped).Select(c => c.Chunk));
            cappedCount += Math.Max(0, kept.Count - 1);
        }
        using var stats = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "stats.json")));
        Assert.Equal(cappedCount, stats.RootElement.GetProperty("candidates_capped").GetInt64());
    }

    // Each anchor's candidates in retrieval order, as details.jsonl lists them.
    private static List<List<(string Chunk, double? Delta, bool Kept, bool Capped)>> Anchors(string build) =>
        File.ReadLines(Path.Combine(build, "details.jsonl")).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("anchors").EnumerateArray())
            .Select(a => a.GetProperty("candidates").EnumerateArray().Select(c => (c.GetProperty("chunk_id").GetString()!,
                c.GetProperty("delta").ValueKind == JsonValueKind.Number ? c.GetProperty("delta").GetDouble() : (double?)null,
                c.GetProperty("kept").GetBoolean(), c.TryGetProperty("capped", out var x) && x.GetBoolean())).ToList()).ToList();
}
