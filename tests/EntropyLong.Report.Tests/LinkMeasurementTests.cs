using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Report.Tests;

/// <summary>The link metrics on a hand-made build whose answers are counted by hand.</summary>
public class LinkMeasurementTests
{
    private static CandidateRecord Judged(string source, bool kept) => new(source + "#0", source, 0.5, 4, kept ? 1 : 3, kept ? 0.75 : 0.25, kept);
    private static CandidateRecord Unjudged(string source) => new(source + "#0", source, 0.4, null, null, null, false);

    [Fact]
    public void PrecisionRecallAndMentionsCountDistinctPairsOfLinkedDocuments()
    {
        var (dir, linksFile) = HandMadeBuild();

        var m = LinkMeasurement.Measure(new BuildFiles(dir), LinkMeasurement.Read(linksFile));

        Assert.Equal((3, 2, 4), (m.DocumentsRead, m.DocumentsUsed, m.Anchors));
        Assert.Equal(2, m.LinkedDocuments);
        Assert.Equal(3, m.VerifiedPairs);                 // (A,B) (A,Y) (B,Z)
        Assert.Equal(1.0 / 3, m.PrecisionVerified!.Value, 12);   // (A,B)
        // Resampling the two documents gives A twice (2 of 4), B twice (0 of 1) or both (1 of 3).
        Assert.Equal([0.0, 0.5], m.PrecisionVerifiedInterval);
        Assert.Equal(1.0 / 3, m.PrecisionTop1!.Value, 12);       // (A,B) of (A,B) (A,Y) (B,Z)
        Assert.Equal(3.0 / 6, m.PrecisionRetrieved!.Value, 12);  // (A,B) (A,C) (B,A) of six pairs
        Assert.Equal(0.5, m.RecallDocs!.Value, 12);              // A keeps B; B keeps nothing it links to
        Assert.Equal((3, 1), (m.AnchorsOfLinkedDocuments, m.AnchorsInMentions)); // A's first anchor is at "{B}"
        // Only A's mentions are known: "{B}" is 1 of its 5 text tokens, 1 of its 5 words, and 1 of its 2 anchors.
        Assert.Equal<(double?, double?, double?)>((0.2, 0.2, 0.5), (m.MentionTokenShare, m.MentionWordShare, m.MentionAnchorShare));
        Assert.Equal((2L, 1L, 1L, 1L), (m.AtMentions.Judged, m.AtMentions.Linked, m.AtMentions.Passed, m.AtMentions.PassedLinked)); // B, X
        Assert.Equal((1L, 0L, 1L, 0L), (m.Elsewhere.Judged, m.Elsewhere.Linked, m.Elsewhere.Passed, m.Elsewhere.PassedLinked));     // Y; C not judged
        Assert.Equal(["1", "2-4"], m.ByRank.Select(b => b.Ranks));
        var first = m.ByRank[0];                          // B (linked), Y, Z: all passed
        Assert.Equal((3L, 1L, 3L, 1L), (first.Judged, first.Linked, first.Passed, first.PassedLinked));
        Assert.Equal<(double?, double?, double?)>((1.0, 1.0, 1.0 / 3), (first.PassRateLinked, first.PassRateUnlinked, first.PrecisionPassed));
        Assert.Equal(1.0, first.LikelihoodRatio);
        var second = m.ByRank[1];                         // X, A (linked): both failed; C was not judged
        Assert.Equal((2L, 1L, 0L, 0L), (second.Judged, second.Linked, second.Passed, second.PassedLinked));
        Assert.Null(second.LikelihoodRatio);
    }

    [Fact]
    public void RanksFallIntoDoublingBandsAndCappedChunksPassedButChunksBelowTheDocumentGainDidNot()
    {
        string dir = Scratch.NewPath("links-by-rank");
        Directory.CreateDirectory(dir);
        // One anchor, 17 judged candidates: rank 5 links and passed but was capped, rank 9 passed the entropy test but
        // failed the document gain, rank 17 links and failed; the rest neither link nor pass.
        var candidates = Enumerable.Range(1, 17).Select(rank => rank switch
        {
            5 => Judged("L", kept: false) with { Capped = true },
            9 => Judged("N9", kept: false) with { BelowDocumentGain = true },
            17 => Judged("L2", kept: false),
            _ => Judged($"N{rank}", kept: false),
        }).ToList();
        using (var details = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
        {
            details.Write(new DetailsRecord("A", null, ["", "x"], [null, 5], 1, [new AnchorRecord(1, 5, "q", candidates)]));
            details.Complete();
        }
        using (var sequences = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) sequences.Complete();
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = 1, DocumentsUsed = 0, Anchors = 1 });
        string linksFile = Path.Combine(dir, "links.jsonl");
        File.WriteAllLines(linksFile, ["""{"id": "A", "links": ["L", "L2"]}"""]);

        var m = LinkMeasurement.Measure(new BuildFiles(dir), LinkMeasurement.Read(linksFile));

        Assert.Equal(["1", "2-4", "5-8", "9-16", "17-32"], m.ByRank.Select(b => b.Ranks));
        Assert.Equal([1L, 3, 4, 8, 1], m.ByRank.Select(b => b.Judged));
        Assert.Equal([0L, 0, 1, 0, 1], m.ByRank.Select(b => b.Linked));
        Assert.Equal([0L, 0, 1, 0, 0], m.ByRank.Select(b => b.Passed));
        Assert.Equal([0L, 0, 1, 0, 0], m.ByRank.Select(b => b.PassedLinked));
        Assert.Equal(0, m.VerifiedPairs);
        // Nothing verified: the precision of verified pairs is undefined, not 0, and so are the rates of an empty group.
        Assert.Equal<double?[]>([null, null, 1.0, null, null], m.ByRank.Select(b => b.PrecisionPassed).ToArray());
        var json = System.Text.Json.JsonSerializer.SerializeToElement(m);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("precision_verified").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("precision_verified_ci95").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("mention_token_share").ValueKind); // no mentions given
        Assert.Equal(0.0, json.GetProperty("precision_top1").GetDouble()); // measured: the first candidate is unlinked
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheReportShowsTheLinkFiguresWhenTheCorpusCarriesLinks(bool corpusHasLinks)
    {
        var (dir, linksFile) = HandMadeBuild();
        string corpus = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(corpus, File.ReadAllLines(linksFile).Select(l => corpusHasLinks ? l : """{"id": "A", "text": "See {B} and C."}"""));
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Config), new { corpus = new[] { corpus } });

        string html = File.ReadAllText(ReportWriter.Write(dir, Path.Combine(dir, "report"), new ReportOptions()).HtmlPath);

        Assert.Equal(corpusHasLinks, html.Contains("id=\"links-table\""));
        Assert.Contains("<dd data-key=\"mean_delta\">-</dd>", html); // stats.json counts no verified chunk
        if (corpusHasLinks)
        {
            Assert.Contains("<th>precision of verified pairs</th><td>33.3% of 3 (95% interval 0.0% to 50.0%)</td>", html);
            Assert.Contains("<th>precision of any retrieved</th><td>50.0%</td>", html);
            Assert.Contains("<th>anchors inside a mention of a linked entry</th><td>1 of 3</td>", html);
            Assert.Contains("<th>where mentions are known: anchors / tokens / words inside one</th><td>50.0% / 20.0% / 20.0%</td>", html);
            Assert.Contains("<th>at anchors inside a mention: linked candidates that pass / what passes that is linked</th><td>100.0% / 100.0%</td>", html);
            Assert.Contains("<tr><td>1</td><td>3</td><td>33.3%</td><td>3</td><td>33.3%</td><td>1.0</td></tr>", html);
            Assert.Contains("<tr><td>2-4</td><td>2</td><td>50.0%</td><td>0</td><td>-</td><td>-</td></tr>", html); // nothing passed: no share of it
        }
    }

    [Fact]
    public void WordsInAMentionAreCountedByTheirLastTokenAsWordAnchorsAre()
    {
        string dir = Scratch.NewPath("links-words");
        Directory.CreateDirectory(dir);
        // "a {foo} b": the mention "{foo}" is characters [2, 7); its tokens "fo", "o", "}" are 3 of 6, but of the words
        // "a", " {", "foo", "}", " b" only "foo" and "}" end inside it. The anchor is the word "foo" (tokens 3-4).
        string[] pieces = ["", "a", " {", "fo", "o", "}", " b"];
        using (var details = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
        {
            details.Write(new DetailsRecord("A", null, pieces, [null, 1, 1, 5, 4, 1, 1], 4, [new AnchorRecord(4, 9, "q", [Judged("B", kept: true)])]));
            details.Complete();
        }
        using (var sequences = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) sequences.Complete();
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = 1, DocumentsUsed = 1, Anchors = 1 });
        string linksFile = Path.Combine(dir, "links.jsonl");
        File.WriteAllLines(linksFile, ["""{"id": "A", "links": ["B"], "mentions": [[2, 7, "B"]]}"""]);

        var m = LinkMeasurement.Measure(new BuildFiles(dir), LinkMeasurement.Read(linksFile));

        Assert.Equal<(double?, double?, double?)>((0.5, 0.4, 1.0), (m.MentionTokenShare, m.MentionWordShare, m.MentionAnchorShare));
    }

    [Fact]
    public void AFolderGivenAsTheLinksFileIsNamedAsOne()
    {
        string dir = Scratch.NewPath("links-folder");
        Directory.CreateDirectory(dir);
        Assert.Equal($"{dir}: a folder, not a links file", Assert.Throws<UserInputException>(() => LinkMeasurement.Read(dir)).Message);
    }

    [Fact]
    public void AMentionThatIsNotStartEndIdIsAnErrorNamingTheLine()
    {
        string file = Path.Combine(Scratch.NewPath("links-mention"), "links.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllLines(file, ["""{"id": "A", "links": ["B"], "mentions": [[0, 3, "B"]]}""", """{"id": "B", "links": ["A"], "mentions": [[0, 3]]}"""]);
        Assert.Equal($"{file}:2: not a links record (a mention is [start, end, id] (character offsets, start <= end, and the linked id), not [0, 3]); " +
                     "expected {\"id\": ..., \"links\": [ids]}", Assert.Throws<UserInputException>(() => LinkMeasurement.Read(file)).Message);
    }

    [Fact]
    public void StatsWithoutACounterIsAnErrorNamingTheFileAndTheKey()
    {
        var (dir, linksFile) = HandMadeBuild();
        string stats = Path.Combine(dir, BuildFolder.Stats);
        File.WriteAllText(stats, "{}");
        var e = Assert.Throws<UserInputException>(() => LinkMeasurement.Measure(new BuildFiles(dir), LinkMeasurement.Read(linksFile)));
        Assert.Equal($"{stats}: no \"documents_read\" count (a whole number)", e.Message);
    }

    // Three documents: A links to B and C (mentioning B at "{B}"), B links to A, D has no links.
    [Fact]
    public void AConfigJsonOfTheWrongShapeIsNamedByReportAndLinks()
    {
        var (dir, _) = HandMadeBuild();
        string config = Path.Combine(dir, BuildFolder.Config);
        UserInputException Report() => Assert.Throws<UserInputException>(() => ReportWriter.Write(dir, Path.Combine(dir, "r"), new ReportOptions()));
        UserInputException Links() => Assert.Throws<UserInputException>(() => LinkMeasurement.CorpusLinks(new BuildFiles(dir)));
        File.WriteAllText(config, "[]");
        Assert.Equal($"{config}: not a JSON object", Report().Message);
        Assert.Equal($"{config}: not a JSON object", Links().Message);
        File.WriteAllText(config, """{"options": {"epsilon": "0.4"}}""");
        Assert.Equal($"{config}: \"options.epsilon\" is not a number", Report().Message);
        File.WriteAllText(config, """{"options": {"seq_len": 4096.5}}""");
        Assert.Equal($"{config}: \"options.seq_len\" is not a whole number", Report().Message);
        File.WriteAllText(config, """{"corpus": "c.jsonl"}""");
        Assert.Equal($"{config}: \"corpus\" is not a list of file names; give --links", Links().Message);
    }

    private static (string Dir, string LinksFile) HandMadeBuild()
    {
        string dir = Scratch.NewPath("links");
        Directory.CreateDirectory(dir);
        string[] pieces = ["", "See ", "{B}", " and ", "C", "."]; // "{B}" is characters [4, 7)
        using (var details = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
        {
            details.Write(new DetailsRecord("A", null, pieces, [null, 1, 5, 1, 5, 1], 3,
            [
                new AnchorRecord(2, 5, "q", [Judged("B", kept: true), Judged("X", kept: false)]),
                new AnchorRecord(4, 5, "q", [Judged("Y", kept: true), Unjudged("C")]),
            ]));
            details.Write(new DetailsRecord("B", null, pieces, [null, 1, 5, 1, 5, 1], 3,
                [new AnchorRecord(2, 5, "q", [Judged("Z", kept: true), Judged("A", kept: false)])]));
            // No links known for D: what it keeps says nothing either way.
            details.Write(new DetailsRecord("D", "no_verified_chunk", pieces, [null, 1, 5, 1, 5, 1], 3,
                [new AnchorRecord(2, 5, "q", [Judged("B", kept: true)])]));
            details.Complete();
        }
        using (var sequences = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences))) sequences.Complete();
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats { DocumentsRead = 3, DocumentsUsed = 2, Anchors = 4 });
        string linksFile = Path.Combine(dir, "links.jsonl");
        File.WriteAllLines(linksFile,
        [
            """{"id": "A", "links": ["B", "C"], "mentions": [[4, 7, "B"]]}""",
            """{"id": "B", "links": ["A"]}""",
            """{"id": "D", "links": []}""",
        ]);

        return (dir, linksFile);
    }

    [Fact]
    public void TheBootstrapIntervalResamplesDocumentsAndMatchesTheBinomialOneForSinglePairs()
    {
        Assert.Equal((0.0, 0.0), LinkMeasurement.BootstrapInterval([]));
        Assert.Equal((0.5, 0.5), LinkMeasurement.BootstrapInterval([(1, 2), (2, 4), (0, 0), (3, 6)]));
        // 400 documents of one pair each, a quarter linked: the binomial interval 0.25 +- 1.96 * 0.0217.
        var single = Enumerable.Repeat((1, 1), 100).Concat(Enumerable.Repeat((0, 1), 300)).ToList();
        var (low, high) = LinkMeasurement.BootstrapInterval(single);
        Assert.InRange(low, 0.2075 - 0.01, 0.2075 + 0.01);
        Assert.InRange(high, 0.2925 - 0.01, 0.2925 + 0.01);
        // The same pairs in 40 documents of 10 that stand or fall together: about three times as wide.
        var clustered = Enumerable.Repeat((10, 10), 10).Concat(Enumerable.Repeat((0, 10), 30)).ToList();
        var (cLow, cHigh) = LinkMeasurement.BootstrapInterval(clustered);
        Assert.InRange((cHigh - cLow) / (high - low), 2.5, 3.8);
        Assert.Equal((cLow, cHigh), LinkMeasurement.BootstrapInterval(clustered));
    }

    [Fact]
    public void ALinksFileThatIsNotOneNamesTheLine()
    {
        string path = Scratch.NewPath("links", ".jsonl");
        File.WriteAllLines(path, ["""{"id": "A", "links": ["B"]}""", """{"id": "B", "links": "A"}"""]);
        var e = Assert.Throws<UserInputException>(() => LinkMeasurement.Read(path));
        Assert.Contains(path + ":2:", e.Message);
    }

    [Fact]
    public void IdsAreTakenAsTheCorpusReaderTakesThemAndTheRecordsOfOneIdAreJoined()
    {
        // Numeric ids were refused though build accepts them; a second record of an id replaced the first; a link to the
        // document itself (never retrievable for it) made it a linked document; a corpus line build skipped failed here.
        string path = Scratch.NewPath("links", ".jsonl");
        File.WriteAllLines(path, ["""{"id": 7, "links": [8, "9"]}""", """{"id": "7", "links": ["10"]}""", """{"id": "A", "links": ["A"]}""", "{not json"]);
        var links = LinkMeasurement.Read(path, corpus: true);
        Assert.Equal(["10", "8", "9"], links["7"].Targets.Order(StringComparer.Ordinal));
        Assert.Empty(links["A"].Targets);
        Assert.Contains(path + ":4:", Assert.Throws<UserInputException>(() => LinkMeasurement.Read(path)).Message);
    }
}
