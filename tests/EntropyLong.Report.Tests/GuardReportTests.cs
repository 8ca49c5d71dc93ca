using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.TestSupport;

namespace EntropyLong.Report.Tests;

/// <summary>The report on a hand-made build with a hard negative, a candidate the near-duplicate guard excluded, one
/// the per-anchor cap left out and one below the document gain: each is shown apart from what was verified.</summary>
public class GuardReportTests : IAsyncLifetime
{
    private readonly Browser _browser = new();
    public Task InitializeAsync() => _browser.InitializeAsync();
    public Task DisposeAsync() => _browser.DisposeAsync();

    private static string Build()
    {
        string dir = Scratch.NewPath("guard-report");
        Directory.CreateDirectory(dir);
        using (var details = new JsonlWriter(Path.Combine(dir, BuildFolder.Details)))
        {
            details.Write(new DetailsRecord("doc", null, ["", "The ", "daemon", " runs."], [null, 1, 6, 1], 3,
            [
                new AnchorRecord(2, 6, "the daemon runs",
                [
                    new CandidateRecord("mirror#0", "mirror", 0.99, null, null, null, false, NearDuplicateStep.Reason),
                    new CandidateRecord("verified#0", "verified", 0.8, 6, 2, 0.667, true),
                    new CandidateRecord("capped#0", "capped", 0.75, 6, 1, 0.833, false, Capped: true),
                    new CandidateRecord("failed#0", "failed", 0.7, 6, 5, 0.167, false),
                    new CandidateRecord("general#0", "general", 0.65, 6, 2.5, 0.583, false, DocumentGain: 0.01, BelowDocumentGain: true),
                ]),
            ]));
            details.Complete();
        }
        const string verified = "A daemon is a background process.", failed = "Demons in folklore.", document = "The daemon runs.";
        string text = failed + "\n\n" + verified + "\n\n" + document;
        using (var sequences = new JsonlWriter(Path.Combine(dir, BuildFolder.Sequences)))
        {
            int v = failed.Length + 2;
            sequences.Write(new SequenceRecord(0, 40, text, [new SampleRecord("doc", 0, 40, 0, text.Length, 0,
            [
                new ContextRecord("failed#0", "failed", 0, failed.Length, 1, 6, 30, 2, "daemon", 6, 5, 0.167, ContextRecord.Negative),
                new ContextRecord("verified#0", "verified", v, v + verified.Length, 7, 20, 30, 2, "daemon", 6, 2, 0.667),
            ])]));
            sequences.Complete();
        }
        BuildFolder.WriteJson(Path.Combine(dir, BuildFolder.Stats), new BuildStats
        {
            DocumentsRead = 1, DocumentsUsed = 1, Anchors = 1, CandidatesRetrieved = 5, CandidatesJudged = 4, CandidatesNearDuplicate = 1,
            CandidatesCapped = 1, CandidatesBelowDocumentGain = 1, ChunksVerified = 1, ContextsNegative = 1, Sequences = 1,
        });
        return dir;
    }

    [Fact]
    public async Task HardNegativesExcludedCappedAndLowGainCandidatesShowApartFromWhatWasVerified()
    {
        string dir = Build();
        var data = ReportData.Read(new BuildFiles(dir), new ReportOptions());
        Assert.Equal([30 - 20], data.Distances); // the verified context's distance only
        var result = ReportWriter.Write(dir, Path.Combine(dir, "report"), new ReportOptions());
        var (page, errors) = await _browser.Open(result.HtmlPath);

        Assert.Equal("1", await page.Locator("dd[data-key=candidates_near_duplicate]").TextContentAsync());
        Assert.Equal("1", await page.Locator("dd[data-key=contexts_negative]").TextContentAsync());
        Assert.Equal("1", await page.Locator("dd[data-key=candidates_capped]").TextContentAsync());
        Assert.Equal("1", await page.Locator("dd[data-key=candidates_below_document_gain]").TextContentAsync());
        Assert.Contains("1 verified, 1 negatives", await page.Locator("#doc-list li .meta").TextContentAsync());
        Assert.Contains("1 verified contexts and 1 hard negatives", await page.Locator("#doc .facts").TextContentAsync());
        // In sequence order: the negative first, marked; the verified context unmarked.
        var contexts = page.Locator("#doc > .panel div.context");
        Assert.Equal(2, await contexts.CountAsync());
        Assert.Equal("context negative", await contexts.Nth(0).GetAttributeAsync("class"));
        Assert.StartsWith("hard negative", await contexts.Nth(0).TextContentAsync());
        Assert.Equal("context", await contexts.Nth(1).GetAttributeAsync("class"));

        await page.Locator("#doc-text mark").First.ClickAsync();
        var rows = page.Locator("#anchor-detail table.candidates tbody tr");
        Assert.Equal("not judged: near-duplicate", await rows.Nth(0).Locator("td").Nth(7).TextContentAsync());
        Assert.Equal("\u2713", await rows.Nth(1).Locator("td").Nth(7).TextContentAsync());
        Assert.Equal("passed, capped", await rows.Nth(2).Locator("td").Nth(7).TextContentAsync());
        Assert.Equal("", await rows.Nth(3).Locator("td").Nth(7).TextContentAsync());
        Assert.Equal("passed, below the document gain", await rows.Nth(4).Locator("td").Nth(7).TextContentAsync());
        Assert.Equal(1, await page.Locator("#doc-text mark.verified").CountAsync());
        Assert.Empty(errors);
    }
}
