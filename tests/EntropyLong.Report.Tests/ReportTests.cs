using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Playwright;

namespace EntropyLong.Report.Tests;

public class ReportTests(BuildFixture build) : IClassFixture<BuildFixture>, IAsyncLifetime
{
    private readonly Browser _browser = new();
    public Task InitializeAsync() => _browser.InitializeAsync();
    public Task DisposeAsync() => _browser.DisposeAsync();

    private static readonly string[] ChartNames = ["entropy", "anchors_per_document", "delta", "candidates", "sequence_lengths", "distance"];

    [Fact]
    public async Task PageLoadsWithoutErrorsAndRendersChartsAndViewer()
    {
        var (page, errors) = await _browser.Open(build.Report.HtmlPath);
        foreach (var name in ChartNames)
            Assert.Equal(1, await page.Locator($"#chart-{name} svg").CountAsync());
        // Every chart drew something: bars, markers or lines inside its SVG.
        foreach (var name in ChartNames)
            Assert.True(await page.Locator($"#chart-{name} svg :is(rect, path, circle, line, polygon, polyline, ellipse)").CountAsync() > 5, name);
        Assert.Equal(BuildFixture.Corpus.Length, await page.Locator("#doc-list li").CountAsync());
        Assert.Equal("doc0", await page.Locator("#doc h3").TextContentAsync());
        Assert.True(await page.Locator("#doc-text mark").CountAsync() > 0);
        // The counters and the configuration are shown.
        var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(build.BuildDir, "stats.json"))).RootElement;
        Assert.Equal(stats.GetProperty("anchors").GetInt64().ToString("#,0", System.Globalization.CultureInfo.InvariantCulture),
            await page.Locator("dd[data-key=anchors]").TextContentAsync());
        Assert.Contains("options.epsilon", await page.Locator("#config-table").TextContentAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ClickingAnAnchorShowsItsQueryCandidatesAndVerifiedChunks()
    {
        var (page, errors) = await _browser.Open(build.Report.HtmlPath);
        // Take the first document whose anchors verified a chunk (outlined marks).
        var doc = await FirstDocumentWith(page, "#doc-text mark.verified");
        var mark = page.Locator("#doc-text mark.verified").First;
        int anchor = int.Parse((await mark.GetAttributeAsync("data-anchor"))!);
        await mark.ClickAsync();
        var detail = page.Locator("#anchor-detail");
        Assert.Contains("Anchor at token", await detail.Locator("h4").First.TextContentAsync());

        // The panel shows what details.jsonl holds for that anchor, candidate by candidate.
        var record = File.ReadLines(Path.Combine(build.BuildDir, "details.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(r => r.GetProperty("document_id").GetString() == doc);
        var expected = record.GetProperty("anchors")[anchor];
        Assert.Equal(expected.GetProperty("query").GetString(), await detail.Locator(".query").TextContentAsync());
        var rows = detail.Locator("table.candidates tbody tr");
        Assert.Equal(expected.GetProperty("candidates").GetArrayLength(), await rows.CountAsync());
        var first = expected.GetProperty("candidates")[0];
        Assert.Equal(first.GetProperty("chunk_id").GetString(), await rows.First.Locator("td").Nth(1).TextContentAsync());
        Assert.Equal(first.GetProperty("delta").GetDouble().ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
            await rows.First.Locator("td").Nth(6).TextContentAsync());
        Assert.True(await detail.Locator("tr.kept").CountAsync() > 0);
        // A placed chunk shows where it sits in the sequence.
        Assert.Contains("sequence tokens", await page.Locator("#doc").TextContentAsync());
        Assert.Equal(1, await page.Locator("#doc-text mark.active").CountAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task HostileDocumentShowsAsTextAndRunsNothing()
    {
        var (page, errors) = await _browser.Open(build.Report.HtmlPath);
        var item = page.Locator("#doc-list li").Filter(new LocatorFilterOptions { HasText = BuildFixture.HostileId });
        Assert.Equal(1, await item.CountAsync());
        await item.ClickAsync();
        Assert.Equal(BuildFixture.HostileId, await page.Locator("#doc h3").TextContentAsync());
        string shown = (await page.Locator("#doc-text").TextContentAsync())!;
        Assert.Contains(BuildFixture.Script, shown.Replace("\u2400", ""));
        Assert.Contains(BuildFixture.OnError, shown);
        // Contexts taken from the hostile document show as text in other documents too.
        await page.Locator("#doc-text mark").First.ClickAsync();
        await page.Locator("#heat-all").CheckAsync();
        Assert.Equal(0, await page.Locator("#doc img, #doc script").CountAsync());
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__pwned"));
        Assert.Empty(errors);

        // Negative control: the same text put in a page as markup runs, and the check above sees it.
        var control = await _browser.Instance.NewPageAsync();
        await control.SetContentAsync($"<!DOCTYPE html><html><body>{BuildFixture.HostileText}</body></html>");
        await control.WaitForFunctionAsync("() => window.__pwned >= 2");
        Assert.Equal("number", await control.EvaluateAsync<string>("() => typeof window.__pwned"));
    }

    [Fact]
    public void EveryCorpusTextIsEscapedInTheFile()
    {
        string html = File.ReadAllText(build.Report.HtmlPath);
        // Two script elements: the data block and the viewer; no corpus text opens or closes one.
        Assert.Equal(2, CountOf(html, "<script"));
        Assert.Equal(2, CountOf(html, "</script>"));
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy", html);
    }

    [Fact]
    public void ChartsAreWrittenAsPngFiles()
    {
        Assert.Equal(ChartNames.Length, build.Report.PngPaths.Count);
        foreach (var name in ChartNames)
        {
            string path = Path.Combine(build.BuildDir, "report", name + ".png");
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), name);
            Assert.Equal(Charts.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(Charts.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
            Assert.True(bytes.Length > 8000, $"{name}: {bytes.Length} bytes");
        }
    }

    [Fact]
    public async Task BuildWithoutDetailsStillReports()
    {
        Assert.False(File.Exists(Path.Combine(build.NoDetailsDir, "details.jsonl")));
        var result = ReportWriter.Write(build.NoDetailsDir, Path.Combine(build.NoDetailsDir, "report"), new ReportOptions());
        Assert.Equal(3, result.PngPaths.Count); // entropy, anchors and candidates need details.jsonl
        var (page, errors) = await _browser.Open(result.HtmlPath);
        Assert.Contains("--no-details", await page.Locator("#note").TextContentAsync());
        Assert.Equal(3, await page.Locator(".chart .missing").CountAsync());
        Assert.True(await page.Locator("#doc-list li").CountAsync() > 0);
        Assert.True(await page.Locator("#doc pre.context").CountAsync() > 0);
        Assert.Empty(errors);
    }

    [Fact]
    public void NotABuildFolderIsAClearError()
    {
        string dir = Path.Combine(build.Root, "empty");
        Directory.CreateDirectory(dir);
        var e = Assert.Throws<Core.UserInputException>(() => ReportWriter.Write(dir, Path.Combine(dir, "r"), new ReportOptions()));
        Assert.Contains("stats.json", e.Message);
    }

    private static async Task<string> FirstDocumentWith(IPage page, string selector)
    {
        foreach (var id in BuildFixture.Corpus.Select(d => d.Id))
        {
            await page.Locator("#doc-list li").Filter(new LocatorFilterOptions { HasText = id }).First.ClickAsync();
            if (await page.Locator(selector).CountAsync() > 0) return id;
        }
        throw new InvalidOperationException($"no document has {selector}");
    }

    private static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
