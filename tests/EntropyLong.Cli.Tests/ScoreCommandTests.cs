using System.Text.Json;
using EntropyLong.TestSupport;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class ScoreCommandTests
{
    [Fact]
    public void SaysHowItsEntropiesAreShapedAsTheAnchorRuleSeesThem()
    {
        string dir = CliRunner.TempDir();
        string input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, TinyModels.Texts.Select((t, i) => JsonSerializer.Serialize(new { id = $"d{i}", text = t })));
        var (code, _, err) = CliRunner.Run("score", "--model", TinyModels.Get().Path, "--input", input, "--out", output, "--exact");
        Assert.True(code == 0, err);
        // The printed figures are the written entropies' own.
        var entropies = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("entropy").EnumerateArray()
            .Where(h => h.ValueKind == JsonValueKind.Number).Select(h => h.GetDouble()).ToArray()).ToArray();
        double[] all = [.. entropies.SelectMany(h => h)];
        double mean = all.Average(), std = Math.Sqrt(all.Select(h => (h - mean) * (h - mean)).Average());
        var perToken = System.Text.RegularExpressions.Regex.Match(err,
            @"entropy per token: ([\d,]+) scored, mean ([\d.]+) nats, standard deviation ([\d.]+), skewness ([+-][\d.]+), ([\d.]+)% under 1 nat, ([\d.]+)% above mean \+ 2 std; tau = mean \+ 2 std per document \(the paper's anchor rule\) marks ([\d.]+)% of them, in (\d+) of (\d+) documents");
        Assert.True(perToken.Success, err);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        Assert.Equal(all.Length.ToString("N0", invariant), perToken.Groups[1].Value);
        Assert.Equal(mean, double.Parse(perToken.Groups[2].Value, invariant), 0.0006);
        Assert.Equal(std, double.Parse(perToken.Groups[3].Value, invariant), 0.0006);
        Assert.Equal(all.Select(h => Math.Pow((h - mean) / std, 3)).Average(), double.Parse(perToken.Groups[4].Value, invariant), 0.006);
        Assert.Equal(100.0 * all.Count(h => h < 1) / all.Length, double.Parse(perToken.Groups[5].Value, invariant), 0.06);
        Assert.Equal(100.0 * all.Count(h => h >= mean + 2 * std) / all.Length, double.Parse(perToken.Groups[6].Value, invariant), 0.006 + 100.0 * all.Count(h => Math.Abs(h - mean - 2 * std) < 0.002) / all.Length);
        int anchored = entropies.Count(h => h.Any(x => x > h.Average() + 2 * Math.Sqrt(h.Select(y => (y - h.Average()) * (y - h.Average())).Average())));
        Assert.Equal($"{anchored} of {entropies.Length}", $"{perToken.Groups[8].Value} of {perToken.Groups[9].Value}");
        Assert.Contains("entropy per word (summed over its tokens, as --word-entropy reads them): ", err);
    }

    [Theory]
    [InlineData(-1e-17, "0.00")] // was "-+0.00": the skewness of two word entropies, 0 but for rounding
    [InlineData(0.0, "0.00")]
    [InlineData(-0.004, "0.00")]
    [InlineData(1.554, "+1.55")]
    [InlineData(-1.554, "-1.55")]
    public void SignedFiguresThatRoundToZeroHaveNoSign(double value, string text) => Assert.Equal(text, Commands.ScoreCommand.Signed(value));

    [Fact]
    public void UndefinedFiguresArePrintedAsADashNotNaN()
    {
        string dir = CliRunner.TempDir();
        string empty = Path.Combine(dir, "empty.jsonl"), single = Path.Combine(dir, "single.jsonl");
        File.WriteAllText(empty, "");
        // One character: BOS and one token, so one scored unit, whose spread is 0 and skewness undefined.
        File.WriteAllText(single, """{"id": "a", "text": "x"}""" + "\n");
        string model = TinyModels.Get().Path;
        var (code, _, err) = CliRunner.Run("score", "--model", model, "--input", empty, "--out", Path.Combine(dir, "e.jsonl"), "--exact");
        Assert.True(code == 0, err);
        Assert.Contains("entropy per token: none scored (0 documents)\n", err);
        Assert.Contains("entropy per word (summed over its tokens, as --word-entropy reads them): none scored (0 documents)\n", err);
        (code, _, err) = CliRunner.Run("score", "--model", model, "--input", single, "--out", Path.Combine(dir, "s.jsonl"), "--exact");
        Assert.True(code == 0, err);
        Assert.Contains("entropy per token: 1 scored, mean ", err);
        Assert.Contains(", standard deviation 0.000, skewness -, ", err);
        Assert.DoesNotContain("NaN", err);
    }

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
    public void AnOutputThatIsAFolderOrAnInputFileIsRefusedAndTheInputKept()
    {
        string dir = CliRunner.TempDir();
        string input = Path.Combine(dir, "in.jsonl"), link = Path.Combine(dir, "link.jsonl");
        File.WriteAllText(input, """{"text": "hello"}""" + "\n");
        File.CreateSymbolicLink(link, input);
        string model = TinyModels.Get().Path;
        var (code, _, err) = CliRunner.Run("score", "--model", model, "--input", input, "--out", dir);
        Assert.Equal(3, code);
        Assert.Equal($"error: {dir}: a folder, but --out names the file to write", err.Trim());
        (code, _, err) = CliRunner.Run("score", "--model", model, "--input", dir, "--out", link);
        Assert.Equal(2, code);
        Assert.Equal($"error: --out {link} is the input file {input}; writing it would overwrite the input", err.Trim());
        Assert.Equal("""{"text": "hello"}""" + "\n", File.ReadAllText(input));
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
