using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Pipeline.Tests;

/// <summary>The whole build on real text, pinned byte for byte: the first 120 documents of the sample corpus, retrieval
/// over its first 400, scored by <see cref="CopyingModel"/> (managed and exact on every machine). The hashes were
/// recorded before the pipeline was reorganised into steps, and updated five times since: sequences.jsonl's contexts
/// gained "kind" and stats.json seven counters (the guards' three, the baselines' contexts_unjudged, the per-anchor
/// cap's candidates_capped, then the document gain's candidates_below_document_gain and document_gain_forward_tokens),
/// all zero here (the near-duplicate guard, on by default, finds nothing in this
/// build, so details.jsonl and the shards kept their bytes); then documents longer than the target length were ruled
/// out before scoring (<see cref="DocumentLengthStep"/>), so details.jsonl no longer holds their entropies and anchors
/// and stats.json's counters no longer count them (sequences.jsonl and the shards kept their bytes); then stats.json's
/// delta_sum took in the verified chunks dropped to fit the target length, as chunks_verified always did, so that
/// mean_delta is their mean (every other byte kept). A change that alters any output byte fails here. A change
/// meant to alter the output updates them and says why in its commit.</summary>
public class GoldenBuildTests
{
    private static readonly EntropyLongOptions Options = new() { TopK = 8, SeqLen = 4096 };

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["sequences.jsonl"] = "e4024b39fc7a3d0e655325907c9ed8d52efbe8999ea20a0d3dfbaed20fed432e",
        ["details.jsonl"] = "7e6255d4fd4a5562755851680d79084e9edabc206759efca33d8c2988fdeb483",
        ["mds/index.json"] = "a90617567819e830479aa202f0736d0e55e9280fbd03b577923234ef03edb504",
        ["mds/shard.00000.mds"] = "a7e274085a19b2217a58ae8b7fc9b38527d564e629fff5df9db86b83bef60de2",
        ["stats.json"] = "2696ab0c32c4e164ba9e317e9c43565775336dbdca4ab1c87d9ba1588ac90bda",
    };

    internal static IReadOnlyList<Document> SampleCorpus(int count) =>
        new CorpusReader([Path.Combine(RepositoryRoot(), "data", "sample", "corpus.jsonl.gz")]).Read().Select(r => r.Document).Take(count).ToList();

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "data", "sample"))) return dir.FullName;
        throw new DirectoryNotFoundException("data/sample not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void TheSampleCorpusBuildsToThePinnedBytes()
    {
        using var model = new CopyingModel(contextLength: 512);
        var pool = SampleCorpus(400);
        string dir = Scratch.NewPath("golden");
        var stats = new BuildRunner(BuildSteps.EntropyLong(model, new LexicalRetriever(pool), model, Options), Options.SeqLen,
            new BuildOutput(dir) { BlockSize = 32 }).Run(pool.Take(120));
        BuildRunner.WriteStats(dir, stats);
        Assert.True(stats.ChunksVerified > 20 && stats.DocumentsUsed > 10, $"{stats.ChunksVerified} chunks in {stats.DocumentsUsed} documents");

        var actual = Expected.Keys.ToDictionary(f => f, f => Hash(Path.Combine(dir, f), f == "stats.json"));
        Assert.Equal(Expected, actual);
    }

    // stats.json holds wall-clock seconds: hashed without them.
    private static string Hash(string path, bool dropSeconds)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (dropSeconds)
        {
            var json = JsonNode.Parse(bytes)!.AsObject();
            json.Remove("seconds");
            bytes = JsonSerializer.SerializeToUtf8Bytes(json);
        }
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }
}
