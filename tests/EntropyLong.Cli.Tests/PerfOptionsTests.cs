using System.Text.Json;

namespace EntropyLong.Cli.Tests;

/// <summary>`index --quantize`, `bench index --quantize`, `bench embed`'s padding share and `--device`.</summary>
[Collection(CliRunner.Name)]
public class PerfOptionsTests
{
    [Fact]
    public void IndexQuantizeIsRecordedAndTheIndexSearches()
    {
        string dir = CliRunner.TempDir();
        string corpus = Path.Combine(dir, "c.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 12).Select(i =>
            JsonSerializer.Serialize(new { id = $"d{i}", text = $"Document {i} is about {(i % 2 == 0 ? "baking bread with flour and yeast" : "goalkeepers saving penalties")}." })));
        string idx = Path.Combine(dir, "idx");
        var (code, _, err) = CliRunner.Run("index", "--corpus", corpus, "--out", idx, "--quantize", "i8");
        Assert.True(code == 0, err);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(idx, "index.json"))))
            Assert.Equal("Int8", manifest.RootElement.GetProperty("hnsw").GetProperty("quantization").GetString());
        // search prints through Spectre's console, which the runner does not capture; it must open the i8 graph.
        (code, _, err) = CliRunner.Run("search", "--index", idx, "--query", "how to make bread", "-k", "3");
        Assert.True(code == 0, err);
        Assert.Equal("", err.Trim());
    }

    [Fact]
    public void SearchRefusesToExcludeADocumentTheIndexDoesNotHold()
    {
        // It excluded nothing and said nothing: a typo or a chunk id searched as if the document were left out.
        string dir = CliRunner.TempDir();
        string corpus = Path.Combine(dir, "c.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 3).Select(i => JsonSerializer.Serialize(new { id = $"d{i}", text = $"Document {i} is about bread." })));
        string idx = Path.Combine(dir, "idx");
        var (code, _, err) = CliRunner.Run("index", "--corpus", corpus, "--out", idx, "--no-hnsw");
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run("search", "--index", idx, "--query", "bread", "--exclude-doc", "d2");
        Assert.True(code == 0, err);
        foreach (string id in new[] { "nosuch", "d2#0" })
        {
            (code, _, err) = CliRunner.Run("search", "--index", idx, "--query", "bread", "--exclude-doc", id);
            Assert.Equal((3, $"error: {idx}: no document '{id}' in the index (--exclude-doc takes a document id)"), (code, err.Trim()));
        }
    }

    [Fact]
    public void BenchCostDerivesTheInputsFromABuildAndItsIndex()
    {
        string dir = CliRunner.TempDir();
        string corpus = Path.Combine(dir, "c.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new { id = $"d{i}", text = $"One of {i}.\nTwo of {i}." })));
        string idx = Path.Combine(dir, "idx"), build = Path.Combine(dir, "build");
        var (code, _, err) = CliRunner.Run("index", "--corpus", corpus, "--out", idx, "--max-chars", "12", "--quantize", "f16");
        Assert.True(code == 0, err);
        Directory.CreateDirectory(build);
        File.WriteAllText(Path.Combine(build, "stats.json"), """
            {"documents_read": 8, "tokens_out": 1000, "scoring_forward_tokens": 500, "forward_tokens": 4000, "anchors": 20,
             "seconds": {"entropy": 2.0, "verification": 8.0}}
            """);
        (code, var stdout, err) = CliRunner.Run("bench", "cost", "--build", build, "--index", idx, "--output-tokens", "1e6",
            "--pool-documents", "100", "--lm-tokens-per-s", "1000", "--json");
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(stdout).RootElement;
        double Get(string key) => r.GetProperty(key).GetDouble();
        Assert.Equal(0.5, Get("scoring_lm_tokens_per_output_token"));
        Assert.Equal(4.0, Get("verification_lm_tokens_per_output_token"));
        Assert.Equal(0.02, Get("queries_per_output_token"));
        Assert.Equal(250, Get("measured_scoring_tokens_per_s"));
        Assert.Equal(500, Get("measured_verification_tokens_per_s"));
        Assert.Equal(2.0, Get("chunks_per_document")); // two lines of at most 12 characters each
        Assert.Equal("Float16", r.GetProperty("quantization").GetString());
        Assert.Equal(4.5e6, Get("target_lm_tokens"));
        Assert.Equal(200 + 0.02 * 1e6, Get("target_embeddings"));
        Assert.Equal(Math.Round(4.5e6 / 1000 / 3600, 1), Get("target_lm_hours"));
        Assert.Equal(200 * Get("graph_bytes_per_vector"), Get("target_graph_bytes"), 20.0); // per-vector figure rounded to 0.1

        (code, _, err) = CliRunner.Run("bench", "cost", "--build", dir, "--index", idx);
        Assert.Equal(3, code);
        Assert.Contains("stats.json: not found", err);

        // A build records the size of the index it retrieved from: another index would scale another pool.
        File.WriteAllText(Path.Combine(build, "config.json"), JsonSerializer.Serialize(new { index = "/elsewhere/idx", index_chunks = 17 }));
        (code, _, err) = CliRunner.Run("bench", "cost", "--build", build, "--index", idx);
        Assert.Equal((3, $"error: {idx}: holds 16 chunks, but the build retrieved from an index of 17 (/elsewhere/idx); give --index the index the build used"), (code, err.Trim()));
        File.WriteAllText(Path.Combine(build, "config.json"), JsonSerializer.Serialize(new { index = "/elsewhere/idx", index_chunks = 16 }));
        (code, _, err) = CliRunner.Run("bench", "cost", "--build", build, "--index", idx, "--json");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void BenchIndexPrintsBytesPerVectorForEachQuantization()
    {
        var (code, stdout, err) = CliRunner.Run("bench", "index", "--vectors", "2000", "--queries", "20", "--quantize", "f32,f16,i8",
            "--threads", "1", "--json", "--work-dir", CliRunner.TempDir());
        Assert.True(code == 0, err);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["f32", "f16", "i8"], rows.Select(r => r.GetProperty("quantize").GetString()));
        var bytes = rows.Select(r => r.GetProperty("bytes_per_vector").GetDouble()).ToList();
        Assert.True(bytes[0] > bytes[1] && bytes[1] > bytes[2], string.Join(", ", bytes));
        Assert.All(rows, r => Assert.InRange(r.GetProperty("recall_at_32").GetDouble(), 0.5, 1));
    }

    [Fact]
    public void BenchEmbedKeepsItsKeysAndAddsThePaddingShare()
    {
        var (code, stdout, err) = CliRunner.Run("bench", "embed", "--chunks", "12", "--rounds", "1", "--json");
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(stdout).RootElement;
        foreach (var key in new[] { "model", "chunks", "tokens", "batch", "rounds", "threads", "load_average", "raw_chunks_per_s", "embedder_chunks_per_s", "ratio" })
            Assert.True(r.TryGetProperty(key, out _), key);
        Assert.InRange(r.GetProperty("padding_share").GetDouble(), 0, 0.999);
        Assert.Equal(12, r.GetProperty("chunks").GetInt32());
    }

    [Fact]
    public void CudaWithoutACudaBuildOfOnnxRuntimeIsAClearError()
    {
        // The shipped ONNX Runtime is the CPU build: --device cuda must say what to install, not throw.
        var (code, _, err) = CliRunner.Run("search", "--index", CliRunner.TempDir(), "--query", "x", "--device", "cuda");
        Assert.Equal(3, code);
        Assert.Contains("--device cuda", err);
        Assert.Contains("ENTROPYLONG_ORT_LIB", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData("index --corpus c --out o --quantize i4", "--quantize must be f32, f16 or i8, not 'i4'")]
    [InlineData("bench index --quantize f32,q4", "--quantize must be f32, f16 or i8 (comma-separated), not 'q4'")]
    [InlineData("bench embed --device tpu", "--device must be cpu or cuda, not 'tpu'")]
    public void BadValuesAreUsageErrors(string commandLine, string message)
    {
        var (code, _, err) = CliRunner.Run(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", err.Trim());
    }
}
