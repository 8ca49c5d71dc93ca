using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Cli.Tests;

[Collection(CliRunner.Name)]
public class CompareCommandTests
{
    private static string Build(bool details, params (string Chunk, double Delta)[] kept)
    {
        string dir = CliRunner.TempDir();
        if (details)
            using (var w = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
            {
                w.Write(new DetailsRecord("d1", null, ["", "The ", "cat"], [null, 1, 5], 3,
                    [new AnchorRecord(2, 5, "q", kept.Select(k => new CandidateRecord(k.Chunk, "src", 0.5, 5, 5 * (1 - k.Delta), k.Delta, true)).ToList())]));
                w.Complete();
            }
        using (var w = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) w.Complete();
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Config), new Dictionary<string, object> { ["details"] = details });
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = 1 });
        return dir;
    }

    [Fact]
    public void ComparePrintsOverlapsAndChangesAsTextOrJson()
    {
        string a = Build(true, ("c1", 0.5)), b = Build(true, ("c1", 0.5), ("c2", 0.75));
        var (code, text, err) = CliRunner.Run("compare", a, b);
        Assert.True(code == 0, err);
        Assert.Contains("documents read: A 1, B 1, both 1", text);
        Assert.Contains("verified (document, chunk) pairs: both 1, A only 0, B only 1; Jaccard 0.500", text);
        Assert.Matches(@"verified pairs\s+1\s+2\s+\+1\n", text);
        Assert.Matches(@"mean dI\s+0\.500\s+0\.625\s+\+0\.125\n", text);
        Assert.Matches(@"anchors\s+1\s+1\s+0\n", text);

        (code, text, err) = CliRunner.Run("compare", a, b, "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal(0.5, json.GetProperty("verified_pairs").GetProperty("jaccard").GetDouble());
        Assert.Equal(0.625, json.GetProperty("b").GetProperty("mean_delta").GetDouble());
    }

    [Fact]
    public void DocumentsOneBuildRuledOutBeforeScoringAreSaidAndLeftOutOfTheComparison()
    {
        string Two(string? skip, string[] tokens)
        {
            string dir = CliRunner.TempDir();
            using (var w = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
            {
                w.Write(new DetailsRecord("d1", null, ["", "x"], [null, 1], 1, [new AnchorRecord(1, 5, "q", [])]));
                w.Write(new DetailsRecord("d2", skip, tokens, tokens.Select(_ => (double?)1).ToList(), 1, tokens.Length == 0 ? [] : [new AnchorRecord(1, 5, "q", [])]));
                w.Complete();
            }
            using (var w = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) w.Complete();
            BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = 2 });
            return dir;
        }
        string a = Two(DocumentLengthStep.Reason, []), b = Two(null, ["", "y"]);
        var (code, text, err) = CliRunner.Run("compare", a, b);
        Assert.True(code == 0, err);
        Assert.Contains("documents read: A 2, B 2, both 2; scored by both 1 (everything below is over these)\n", text);
        Assert.Contains("ruled out before scoring: by A but scored by B 1, by B but scored by A 0\n", text);
        Assert.Contains("anchors (matched by the character where the anchor token starts): both 1, A only 0, B only 0;", text);
        // Nothing to say when both scored the same documents.
        (code, text, err) = CliRunner.Run("compare", b, b);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("ruled out", text);
    }

    [Fact]
    public void ABuildWithoutDetailsIsAnInputError()
    {
        string a = Build(true, ("c1", 0.5)), b = Build(false);
        var (code, _, err) = CliRunner.Run("compare", a, b);
        Assert.Equal(3, code);
        Assert.Equal($"error: {b}: no details.jsonl (built with --no-details); compare needs it", err.Trim());
    }

    [Fact]
    public void AMeanDeltaOverNoVerifiedPairIsUndefinedNotZero()
    {
        string a = Build(true), b = Build(true, ("c1", 0.5));
        var (code, text, err) = CliRunner.Run("compare", a, b);
        Assert.True(code == 0, err);
        Assert.Matches(@"mean dI\s+-\s+0\.500\s+-\n", text);
        (code, text, err) = CliRunner.Run("compare", a, b, "--json");
        Assert.True(code == 0, err);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(text).RootElement.GetProperty("a").GetProperty("mean_delta").ValueKind);
    }

    [Fact]
    public void TheBuildSummaryPrintsNoMeanDeltaWhenNothingWasVerified()
    {
        var (_, text, _) = CliRunner.Capture(() =>
        {
            Commands.BuildCommand.PrintSummary(new BuildStats { DocumentsRead = 2 }, BuildFolder.Sequences);
            return 0;
        });
        Assert.Contains("0 chunks verified (mean dI -)", text);
        Assert.Contains("judging each pair alone would take 0 (-)", text);
    }
}
