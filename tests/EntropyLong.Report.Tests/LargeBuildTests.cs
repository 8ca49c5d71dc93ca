using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Pipeline;

namespace EntropyLong.Report.Tests;

/// <summary>A synthetic build of 10,000 documents written with the pipeline's own writers (no model: the report only
/// reads files), to check the page stays small and usable.</summary>
public class LargeBuildTests : IAsyncLifetime
{
    private const int Documents = 10_000;
    private readonly Browser _browser = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "entropylong-large-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => _browser.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* temp folder: best effort */ }
    }

    [Fact]
    public async Task TenThousandDocumentsGiveASmallPageWithANote()
    {
        WriteBuild();
        var result = ReportWriter.Write(_dir, Path.Combine(_dir, "report"), new ReportOptions());
        Assert.Equal(Documents, result.DocumentsTotal);
        Assert.Equal(200, result.DocumentsEmbedded);
        Assert.True(result.HtmlBytes < 8 << 20, $"{result.HtmlBytes} bytes");

        var (page, errors) = await _browser.Open(result.HtmlPath);
        Assert.Contains("first 200 of 10,000 documents", await page.Locator("#note").TextContentAsync());
        Assert.Equal(50, await page.Locator("#doc-list li").CountAsync());
        await page.Locator("#next").ClickAsync();
        Assert.Equal("d00050", await page.Locator("#doc-list li .id").First.TextContentAsync());
        await page.Locator("#filter").FillAsync("d00199");
        Assert.Equal(1, await page.Locator("#doc-list li").CountAsync());
        await page.Locator("#doc-list li").ClickAsync();
        await page.Locator("#doc-text mark").First.ClickAsync();
        Assert.Equal(4, await page.Locator("#anchor-detail table.candidates tbody tr").CountAsync());
        Assert.Empty(errors);

        // A small byte budget keeps the page small: documents past it come without their text, and the note says so.
        var tight = ReportWriter.Write(_dir, Path.Combine(_dir, "tight"), new ReportOptions { MaxEmbeddedBytes = 64 << 10 });
        Assert.True(tight.DocumentsWithoutText > 100, $"{tight.DocumentsWithoutText}");
        var (tightPage, tightErrors) = await _browser.Open(tight.HtmlPath);
        Assert.Contains("without their text", await tightPage.Locator("#note").TextContentAsync());
        await tightPage.Locator("#doc-list li").Last.ClickAsync();
        Assert.Equal(3, await tightPage.Locator(".anchor-list button").CountAsync());
        Assert.Empty(tightErrors);
    }

    /// <summary>A token per four characters (not byte-level).</summary>
    private sealed class QuarterTokenizer : ITrainingTokenizer
    {
        public int[] Encode(string text) => new int[text.Length / 4 + 1];
        public int ByteCount(int token) => 0;
    }

    private void WriteBuild()
    {
        Directory.CreateDirectory(_dir);
        var rng = new Random(5);
        var options = new EntropyLongOptions { SeqLen = 4096 };
        var stats = new BuildStats();
        var packer = new Packer(options.SeqLen);
        using var details = new JsonlWriter(Path.Combine(_dir, BuildFolder.Details));
        using var sequences = new JsonlWriter(Path.Combine(_dir, BuildFolder.Sequences));
        void Emit(PackedSequence? s)
        {
            if (s is null) return;
            sequences.Write(SequenceSink.RecordOf(s));
            stats.Sequences++;
        }
        for (int d = 0; d < Documents; d++)
        {
            string[] pieces = ["", .. Enumerable.Range(0, 120).Select(i => (i == 0 ? "" : " ") + "word" + rng.Next(100))];
            float[] entropy = [float.NaN, .. Enumerable.Range(1, 120).Select(_ => (float)(rng.NextDouble() * 6))];
            var anchors = new[] { 10, 50, 90 }.Select(p => new Anchor(p, entropy[p] + 6)).ToArray();
            var hits = anchors.Select((_, a) => (IReadOnlyList<RetrievedChunk>)Enumerable.Range(0, 4)
                .Select(k => new RetrievedChunk(a * 4 + k, $"c{(d + 1 + k) % Documents:D5}#0", $"d{(d + 1 + k) % Documents:D5}", "chunk text " + k, 0.9f - k * 0.1f)).ToList()).ToArray();
            var verdicts = hits.SelectMany((h, a) => h.Select(c =>
            {
                double delta = rng.NextDouble() - 0.3;
                return new Verdict(0, a, c.Key, anchors[a].Entropy, (float)(anchors[a].Entropy * (1 - delta)), delta, delta > options.Epsilon);
            })).ToList();
            var doc = new Document($"d{d:D5}", string.Concat(pieces), "synthetic");
            var contexts = verdicts.Where(v => v.Kept).Select(v => new SampleContext(hits[v.Anchor][(int)(v.Chunk % 4)].ChunkId, "src", "chunk text",
                anchors[v.Anchor].Position, 0, "w", v.H, v.HPrime, v.Delta)).ToList();
            var sample = SequenceAssembly.Build(doc.Id, doc.Text, contexts, new QuarterTokenizer(), options);
            stats.DocumentsRead++;
            var outcome = new BuildDocument(doc)
            {
                Pieces = pieces, Entropy = entropy, Threshold = 4.0, Anchors = anchors, Verdicts = verdicts, Sample = sample,
                Queries = anchors.Select(a => "query " + a.Position).ToArray(), Candidates = hits,
            };
            Emit(packer.Add(sample!));
            details.Write(BuildRunner.DetailsOf(outcome));
        }
        Emit(packer.Flush());
        details.Complete();
        sequences.Complete();
        BuildRunner.WriteStats(_dir, stats);
    }
}
