using System.Text.Json;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class ScoreCommandTests
{
    [Fact]
    public void WritesTokensAndEntropiesPerDocumentAndSkipsBadLines()
    {
        string dir = CliRunner.TempDir();
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input,
        [
            """{"id": "a", "text": "The quick brown fox jumps over the lazy dog."}""",
            """{"id": "b", "text": """,
            """{"text": "x"}""",
            """{"id": "c"}""",
            """{"id": "d", "text": "   "}""",
        ]);
        string output = Path.Combine(dir, "out.jsonl");
        var (code, _, err) = CliRunner.Run("score", "--model", TinyModels.Get().Path, "--input", input, "--out", output, "--exact", "--quiet");
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["a", "in.jsonl:3"], lines.Select(l => l.GetProperty("id").GetString()));
        foreach (var line in lines)
        {
            var tokens = line.GetProperty("tokens").EnumerateArray().ToArray();
            var entropy = line.GetProperty("entropy").EnumerateArray().ToArray();
            Assert.Equal(tokens.Length, entropy.Length);
            Assert.Equal(JsonValueKind.Null, entropy[0].ValueKind);
            Assert.All(entropy.Skip(1), h => Assert.True(h.GetDouble() > 0));
        }
        // A single-character document still gets BOS + its token, with one defined entropy.
        Assert.Equal(2, lines[1].GetProperty("tokens").GetArrayLength());
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void MissingOrForeignModelStopsWithAClearMessage()
    {
        string dir = CliRunner.TempDir();
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, """{"text": "hello"}""" + "\n");
        var (code, _, err) = CliRunner.Run("score", "--model", Path.Combine(dir, "nope.gguf"), "--input", input, "--out", Path.Combine(dir, "o.jsonl"));
        Assert.Equal(3, code);
        Assert.Contains("nope.gguf: model file not found", err);
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
        (code, _, err) = CliRunner.Run("score", "--model", input, "--input", input, "--out", Path.Combine(dir, "o.jsonl"));
        Assert.Equal(3, code);
        Assert.Contains("not a GGUF model file", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void MissingCorpusStopsBeforeLoadingTheModel()
    {
        string dir = CliRunner.TempDir();
        var (code, _, err) = CliRunner.Run("score", "--model", TinyModels.Get().Path, "--input", Path.Combine(dir, "missing.jsonl"), "--out", Path.Combine(dir, "o.jsonl"));
        Assert.Equal(3, code);
        Assert.Contains("missing.jsonl", err);
    }
}
