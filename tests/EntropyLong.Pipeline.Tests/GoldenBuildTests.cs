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
/// mean_delta is their mean (every other byte kept); then the repeated-text guard (<see cref="RepeatedTextStep"/>): this
/// build's chunks are the corpus's lines, many of which recur across entries, and 1,432 of 34,640 pairs were copies
/// of a better-retrieved candidate's text, no longer judged; without it 53 texts were placed a second time in their
/// sample. A change that alters any output byte fails here. A change
/// meant to alter the output updates them and says why in its commit.</summary>
public class GoldenBuildTests
{
    private static readonly EntropyLongOptions Options = new() { TopK = 8, SeqLen = 4096 };

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["sequences.jsonl"] = "1ec7a6ce00b189a7a7962670da37c943c62bf9586b1de9782bf7fbc1f4529b97",
        ["details.jsonl"] = "fdba9c138cf41b4bbaa0d2cb9e4cc7356387254c10782260bda5be0dbda8968f",
        ["mds/index.json"] = "2bb1e77bee26df3b51386384a10086c2f6b3ea688181cfe5f21bc6088f23ab2b",
        ["mds/shard.00000.mds"] = "4473cd4b306b6a4230964771009de492f5aa2f71e1a1b580fab2cfec4e4b23f8",
        ["stats.json"] = "6513ce25b0746a35cfc18618fe50829f5dc7bdf361c0abffbe2b1f3fbaa98e71",
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
