using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Report.Tests;

/// <summary>`entropylong compare` on two hand-made builds whose answers are counted by hand.</summary>
public class BuildComparisonTests
{
    private static CandidateRecord Judged(string chunk, double delta, bool kept) => new(chunk, "src", 0.5, 4, 4 * (1 - delta), delta, kept);
    private static CandidateRecord Excluded(string chunk) => new(chunk, "src", 0.5, null, null, null, false, "near_duplicate");

    private static string Build(string name, params DetailsRecord[] documents)
    {
        string dir = Path.Combine(Scratch.NewPath("compare"), name);
        Directory.CreateDirectory(dir);
        using (var details = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
        {
            foreach (var d in documents) details.Write(d);
            details.Complete();
        }
        using (var sequences = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) sequences.Complete();
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = documents.Length });
        return dir;
    }

    private static DetailsRecord Doc(string id, string? skip, string[] pieces, params AnchorRecord[] anchors) =>
        new(id, skip, pieces, pieces.Select(_ => (double?)1).ToList(), 1, anchors);

    private static AnchorRecord At(int position, params CandidateRecord[] candidates) => new(position, 5, "q", candidates);

    [Fact]
    public void AnchorsAndVerifiedPairsAreComparedOverTheDocumentsBothRead()
    {
        string a = Build("a",
            // "The cat sat.": anchors at "cat " (character 4) and "sat" (8); c1 kept at both, best dI 0.7.
            Doc("d1", null, ["", "The ", "cat ", "sat", "."], At(2, Judged("c1", 0.6, true), Judged("c2", 0.1, false)), At(3, Judged("c1", 0.7, true), Excluded("c3"))),
            Doc("d2", "no_verified_chunk", ["", "Hi", " there"], At(1, Judged("c4", 0.1, false))),
            Doc("d3", null, ["", "Only in A"], At(1, Judged("c5", 0.8, true))));
        string b = Build("b",
            // Another tokenizer: "ca" starts at character 4 as A's "cat " does; "t sat." at 6 matches nothing.
            Doc("d1", null, ["", "The ", "ca", "t sat."], At(2, Judged("c1", 0.5, true)), At(3, Judged("c2", 0.3, true))),
            // An anchor on the empty tail of a character split across tokens starts where its head does: character 0.
            Doc("d2", null, ["", "H", "", "i there"], At(2, Judged("c4", 0.9, true))),
            Doc("d4", null, ["", "Only in B"], At(1, Judged("c6", 0.8, true))));

        var c = BuildComparison.Of(new BuildFiles(a), new BuildFiles(b));

        Assert.Equal((3, 3, 2), (c.DocumentsA, c.DocumentsB, c.DocumentsBoth));
        Assert.Equal((3, 3, 2, 1, 1), (c.Anchors.A, c.Anchors.B, c.Anchors.Both, c.Anchors.AOnly, c.Anchors.BOnly));
        Assert.Equal(0.5, c.Anchors.Jaccard, 12);                      // 2 of 4 distinct
        Assert.Equal((1.0 / 3 + 1) / 2, c.AnchorJaccardPerDocument, 12); // d1 1/3, d2 1
        Assert.Equal((1, 3, 1, 0, 2), (c.VerifiedPairs.A, c.VerifiedPairs.B, c.VerifiedPairs.Both, c.VerifiedPairs.AOnly, c.VerifiedPairs.BOnly));
        Assert.Equal(1.0 / 3, c.VerifiedPairs.Jaccard, 12);
        Assert.Equal((1, 3, 1), (c.CountsA.DocumentsUsed, c.CountsA.Anchors, c.CountsA.VerifiedPairs));
        Assert.Equal(0.7, c.CountsA.MeanDelta!.Value, 12);
        Assert.Equal((2, 3, 3), (c.CountsB.DocumentsUsed, c.CountsB.Anchors, c.CountsB.VerifiedPairs));
        Assert.Equal((0.5 + 0.3 + 0.9) / 3, c.CountsB.MeanDelta!.Value, 12);

        // A build compared with itself agrees everywhere.
        var same = BuildComparison.Of(new BuildFiles(a), new BuildFiles(a));
        Assert.Equal((1.0, 1.0, 1.0), (same.Anchors.Jaccard, same.AnchorJaccardPerDocument, same.VerifiedPairs.Jaccard));
        Assert.Equal(same.CountsA, same.CountsB);
    }

    [Fact]
    public void ADocumentOneBuildRuledOutBeforeScoringIsCountedApartNotAsDisagreement()
    {
        // A shorter --seq-len rules d2 out before scoring (no tokens); d4 is ruled out by both, d5 by B only. d3 was
        // scored by A and then dropped (a skip reason with tokens): it is compared.
        string a = Build("a",
            Doc("d1", null, ["", "The ", "cat"], At(2, Judged("c1", 0.5, true))),
            Doc("d2", DocumentLengthStep.Reason, []),
            Doc("d3", "no_verified_chunk", ["", "Hi"], At(1)),
            Doc("d4", DecontaminateDocumentsStep.Reason, []),
            Doc("d5", null, ["", "Long"], At(1)));
        string b = Build("b",
            Doc("d1", null, ["", "The ", "cat"], At(2, Judged("c1", 0.5, true))),
            Doc("d2", null, ["", "A ", "long ", "one"], At(1, Judged("c2", 0.4, true)), At(3)),
            Doc("d3", null, ["", "Hi"], At(1, Judged("c3", 0.3, true))),
            Doc("d4", DecontaminateDocumentsStep.Reason, []),
            Doc("d5", DocumentLengthStep.Reason, []));

        var c = BuildComparison.Of(new BuildFiles(a), new BuildFiles(b));

        Assert.Equal((5, 5, 5, 2), (c.DocumentsA, c.DocumentsB, c.DocumentsBoth, c.DocumentsScoredBoth));
        Assert.Equal((1, 1), (c.SkippedByAScoredByB, c.SkippedByBScoredByA));
        Assert.Equal((2, 2, 2), (c.Anchors.A, c.Anchors.B, c.Anchors.Both)); // d2's anchors are not "B only"
        Assert.Equal(1.0, c.AnchorJaccardPerDocument, 12);
        Assert.Equal((1, 2, 1), (c.VerifiedPairs.A, c.VerifiedPairs.B, c.VerifiedPairs.Both));
        Assert.Equal((1, 2), (c.CountsA.DocumentsUsed, c.CountsB.DocumentsUsed));

        // Sharing documents but scoring none of them in common compares nothing.
        string none = Build("none", Doc("d1", DocumentLengthStep.Reason, []), Doc("d2", null, ["", "x"]));
        string other = Build("other", Doc("d1", null, ["", "x"]), Doc("d2", DocumentLengthStep.Reason, []));
        var e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(none), new BuildFiles(other)));
        Assert.Equal($"{none} and {other}: of the 2 documents both builds read, none was scored by both (1 ruled out before scoring by A only, 1 by B only)", e.Message);
    }

    [Fact]
    public void ADocumentTwiceOrAnAnchorOutsideItsDocumentIsAnError()
    {
        string twice = Build("twice", Doc("d1", null, ["", "x"]), Doc("d1", null, ["", "y"]));
        var e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(twice), new BuildFiles(twice)));
        Assert.Equal($"{Path.Combine(twice, BuildFolder.Details)}:2: document 'd1' appears twice; compare pairs documents by id", e.Message);
        // A repeat the build itself ruled out is no document of the build.
        string ruledOut = Build("ruled-out", Doc("d1", null, ["", "x"]), Doc("d1", DuplicateIdStep.Reason, []));
        Assert.Equal(1, BuildComparison.Of(new BuildFiles(ruledOut), new BuildFiles(ruledOut)).DocumentsBoth);
        string outside = Build("outside", Doc("d1", null, ["", "x"], At(5)));
        e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(outside), new BuildFiles(twice)));
        Assert.Equal($"{Path.Combine(outside, BuildFolder.Details)}:1: anchor position 5 is outside the document's 2 tokens", e.Message);
    }

    [Fact]
    public void BuildsWithNoDocumentInCommonAreRefused()
    {
        string a = Build("a", Doc("d1", null, ["", "x"])), b = Build("b", Doc("d2", null, ["", "x"]));
        var e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(a), new BuildFiles(b)));
        Assert.Equal($"{a} and {b}: the builds share no document (1 and 1 read); compare pairs documents by id", e.Message);
    }

    [Fact]
    public void AMissingDetailsFileIsAnErrorUnlessTheBuildRanWithNoDetails()
    {
        string dir = Build("a", Doc("d1", null, ["", "x"]));
        string details = Path.Combine(dir, BuildFolder.Details);
        File.Delete(details);
        var e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(dir), new BuildFiles(dir)));
        Assert.Equal($"{details}: details.jsonl missing; config.json does not say the build ran with --no-details", e.Message);
        File.WriteAllText(Path.Combine(dir, BuildFolder.Config), """{"details": true}""");
        e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(dir), new BuildFiles(dir)));
        Assert.Equal($"{details}: details.jsonl missing; config.json says the build wrote it", e.Message);
        File.WriteAllText(Path.Combine(dir, BuildFolder.Config), """{"details": false}""");
        e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(dir), new BuildFiles(dir)));
        Assert.Equal($"{dir}: no details.jsonl (built with --no-details); compare needs it", e.Message);
    }

    [Fact]
    public void DetailsOfAnotherBuildAreRefusedByTheirCount()
    {
        string a = Build("a", Doc("d1", null, ["", "x"]), Doc("d2", null, ["", "y"]));
        // Three documents read, one a malformed corpus line that has no details record: two records is right.
        BuildFolder.WriteJson(Path.Combine(a, BuildFolder.Stats), new BuildStats
        {
            DocumentsRead = 3, DocumentsSkipped = new() { [ReadStats.Key(SkipReason.MalformedJson)] = 1, [DuplicateIdStep.Reason] = 1 },
        });
        Assert.Equal(2, BuildComparison.Of(new BuildFiles(a), new BuildFiles(a)).DocumentsBoth);
        string b = Build("b", Doc("d1", null, ["", "x"]));
        File.Copy(Path.Combine(a, BuildFolder.Details), Path.Combine(b, BuildFolder.Details), overwrite: true);
        var e = Assert.Throws<UserInputException>(() => BuildComparison.Of(new BuildFiles(a), new BuildFiles(b)));
        Assert.Equal($"{Path.Combine(b, BuildFolder.Details)}: 2 records, but {Path.Combine(b, BuildFolder.Stats)} counts 1 documents the method saw " +
                     "(documents_read less the corpus records skipped); they are not from the same build", e.Message);
    }

    [Fact]
    public void ABrokenJsonFileOfTheBuildIsAnErrorAtItsLineCountedFromOne()
    {
        string dir = Build("a", Doc("d1", null, ["", "x"]));
        string config = Path.Combine(dir, BuildFolder.Config);
        File.WriteAllText(config, "{\n  \"details\": true,\n  \"seed\": }\n");
        var e = Assert.Throws<UserInputException>(() => new BuildFiles(dir).ReadJson(BuildFolder.Config));
        Assert.Equal($"{config}:3: not valid JSON ('}}' is an invalid start of a value, at byte 11)", e.Message);
    }
}
