using EntropyLong.Data;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using EntropyLong.Core;

namespace EntropyLong.Report;

/// <summary>What <see cref="ReportWriter.Write"/> made.</summary>
public sealed record ReportResult(string HtmlPath, IReadOnlyList<string> PngPaths, long HtmlBytes, long DocumentsTotal, int DocumentsEmbedded, int DocumentsWithoutText);

/// <summary>Writes report.html (one self-contained file: inline CSS, inline script, charts as inline SVG, data as
/// JSON that the script shows with textContent only) and one PNG per chart.</summary>
public static class ReportWriter
{
    public const string HtmlFile = "report.html";

    // Escapes <, >, &, ' and " as \u003C etc., so no text can close the data element; other characters stay as
    // they are (the file is UTF-8).
    private static readonly JsonSerializerOptions DataJson = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    public static ReportResult Write(string buildDirectory, string outDirectory, ReportOptions options, CancellationToken ct = default)
    {
        var build = new BuildFiles(buildDirectory);
        var data = ReportData.Read(build, options, ct);
        Directory.CreateDirectory(outDirectory);
        var charts = Charts.Make(data);
        var pngs = new List<string>();
        foreach (var chart in charts)
        {
            if (chart.Plot is null) continue;
            string path = Path.Combine(outDirectory, chart.Name + ".png");
            AtomicFile.WriteAllBytes(path, chart.Plot.GetImageBytes(Charts.Width, Charts.Height, ScottPlot.ImageFormat.Png));
            pngs.Add(path);
        }
        string html = Page(build, data, charts, options);
        string htmlPath = Path.Combine(outDirectory, HtmlFile);
        var bytes = Encoding.UTF8.GetBytes(html);
        AtomicFile.WriteAllBytes(htmlPath, bytes);
        return new ReportResult(htmlPath, pngs, bytes.Length, data.DocumentsTotal, data.Documents.Count, data.DocumentsWithoutText);
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string Page(BuildFiles build, ReportData data, IReadOnlyList<Chart> charts, ReportOptions options)
    {
        string script = Resource("report.js");
        // Only this script may run: a hash-pinned Content-Security-Policy, on top of the escaping.
        string hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)));
        var payload = new JsonObject
        {
            ["documents_total"] = data.DocumentsTotal,
            ["has_details"] = data.HasDetails,
            ["note"] = Note(data, options),
            ["documents"] = new JsonArray(data.Documents.Select(d => (JsonNode)d.DeepClone()).ToArray()),
        };
        var sb = new StringBuilder(1 << 20);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append($"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append($"<title>EntropyLong report: {H(Path.GetFileName(Path.GetFullPath(build.Directory).TrimEnd('/')))}</title>\n");
        sb.Append("<style>\n").Append(Resource("report.css")).Append("</style>\n</head>\n<body>\n");
        sb.Append($"<header><h1>EntropyLong build report</h1><p class=\"path\">{H(Path.GetFullPath(build.Directory))}</p></header>\n");
        sb.Append("<nav><a href=\"#summary\">Summary</a><a href=\"#charts\">Charts</a><a href=\"#viewer\">Samples</a><a href=\"#configuration\">Configuration</a></nav>\n<main>\n");

        sb.Append("<section id=\"summary\"><h2>Summary</h2>\n");
        Summary(sb, data.Stats);
        Links(sb, build, data);
        sb.Append("<details><summary>stats.json</summary>");
        Table(sb, data.Stats, "stats");
        sb.Append("</details></section>\n");

        sb.Append("<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">\n");
        foreach (var c in charts)
        {
            sb.Append($"<figure class=\"chart\" id=\"chart-{c.Name}\"><figcaption><b>{H(c.Title)}</b>");
            if (c.Plot is not null)
            {
                sb.Append($" <span class=\"file\">{H(c.Name)}.png</span><br>{H(c.Caption)}</figcaption>\n");
                sb.Append(c.Plot.GetSvgXml(Charts.Width, Charts.Height)).Append('\n');
            }
            else sb.Append($"</figcaption><p class=\"missing\">not available: {H(c.Missing)}</p>");
            sb.Append("</figure>\n");
        }
        sb.Append("</div></section>\n");

        sb.Append("<section id=\"viewer\"><h2>Samples</h2><p id=\"note\" class=\"note\"></p>\n");
        sb.Append("<div class=\"viewer\"><aside><input id=\"filter\" type=\"search\" placeholder=\"filter by document id\" aria-label=\"filter documents\">");
        sb.Append("<ol id=\"doc-list\"></ol><div class=\"pager\"><button id=\"prev\" type=\"button\">&larr;</button><span id=\"page\"></span><button id=\"next\" type=\"button\">&rarr;</button></div></aside>\n");
        sb.Append("<div id=\"doc\" class=\"doc\"><p class=\"hint\">Pick a document.</p></div></div></section>\n");

        sb.Append("<section id=\"configuration\"><h2>Configuration</h2>");
        if (data.Config is { } config) Table(sb, config, "config");
        else sb.Append("<p class=\"missing\">config.json not found</p>");
        sb.Append("</section>\n</main>\n");

        sb.Append("<script type=\"application/json\" id=\"report-data\">").Append(payload.ToJsonString(DataJson)).Append("</script>\n");
        sb.Append("<script>").Append(script).Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static string Note(ReportData data, ReportOptions options)
    {
        var note = new StringBuilder();
        if (!data.HasDetails) note.Append("The build ran with --no-details: only used documents and their verified contexts are shown, without per-token entropy or candidates. ");
        if (data.Documents.Count < data.DocumentsTotal)
            note.Append(options.SampleIds.Count > 0
                ? $"Showing the {data.Documents.Count:N0} documents asked for, of {data.DocumentsTotal:N0}. "
                : $"Showing the first {data.Documents.Count:N0} of {data.DocumentsTotal:N0} documents (in input order); the charts cover all of them. Pick others with `entropylong report --samples N` or `--sample ID`. ");
        if (data.DocumentsWithoutText > 0)
            note.Append($"{data.DocumentsWithoutText:N0} documents are shown without their text, to keep the page under {options.MaxEmbeddedBytes / (1 << 20):N0} MiB (--max-mb). ");
        return note.ToString().Trim();
    }

    private static void Summary(StringBuilder sb, JsonElement stats)
    {
        string N(string key) => stats.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("#,0.###", System.Globalization.CultureInfo.InvariantCulture) : "-";
        (string Label, string Key)[] cells =
        [
            ("documents read", "documents_read"), ("documents used", "documents_used"), ("anchors", "anchors"),
            ("anchors / document", "anchors_per_document"), ("candidates judged", "candidates_judged"), ("chunks verified", "chunks_verified"),
            ("mean dI", "mean_delta"), ("sequences", "sequences"), ("tokens out", "tokens_out"),
            ("repeated texts not judged", "candidates_repeated_text"), ("near-duplicates not judged", "candidates_near_duplicate"), ("contaminated candidates", "candidates_contaminated"), ("verified, capped per anchor", "candidates_capped"),
            ("verified, below the document gain", "candidates_below_document_gain"),
            ("hard negatives placed", "contexts_negative"),
        ];
        sb.Append("<dl class=\"cards\">");
        // stats.json's mean_delta is 0 when no chunk was verified (a baseline): undefined, not zero.
        string Value(string key) => key == "mean_delta" && N("chunks_verified") == "0" ? "-" : N(key);
        foreach (var (label, key) in cells) sb.Append($"<div><dt>{H(label)}</dt><dd data-key=\"{H(key)}\">{H(Value(key))}</dd></div>");
        sb.Append("</dl>\n");
    }

    // The link figures of `bench links`, when the build's corpus records carry links (as the sample corpus does).
    private static void Links(StringBuilder sb, BuildFiles build, ReportData data)
    {
        if (!data.HasDetails) return;
        LinkMetrics m;
        try
        {
            var links = LinkMeasurement.CorpusLinks(build);
            if (links.Count == 0) return;
            m = LinkMeasurement.Measure(build, links);
        }
        catch (UserInputException e)
        {
            sb.Append($"<p class=\"missing\" id=\"links\">Links not measured: {H(e.Message)}</p>\n");
            return;
        }
        string P(double? x) => x is { } v ? (100 * v).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%" : "-";
        sb.Append("<h3>Dependencies against the corpus's links</h3>\n<p>The share of distinct (document, source document) pairs " +
                  "that are links the corpus states, over its documents with links (as <code>entropylong bench links</code>): " +
                  "verification earns its cost when the verified pairs beat each anchor's top-1 retrieved chunk.</p>\n");
        sb.Append("<table class=\"kv\" id=\"links-table\"><tbody>\n");
        (string, string)[] rows =
        [
            ("documents with links", m.LinkedDocuments.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
            ("precision of verified pairs", $"{P(m.PrecisionVerified)} of {m.VerifiedPairs:N0}" +
                (m.PrecisionVerifiedInterval is [var low, var high] ? $" (95% interval {P(low)} to {P(high)})" : "")),
            ("precision of top-1 retrieved", P(m.PrecisionTop1)),
            ("precision of any retrieved", P(m.PrecisionRetrieved)),
            ("documents with a verified linked entry (recall)", P(m.RecallDocs)),
            ("anchors inside a mention of a linked entry", $"{m.AnchorsInMentions:N0} of {m.AnchorsOfLinkedDocuments:N0}"),
            ("where mentions are known: anchors / tokens / words inside one", $"{P(m.MentionAnchorShare)} / {P(m.MentionTokenShare)} / {P(m.MentionWordShare)}"),
            ("at anchors inside a mention: linked candidates that pass / what passes that is linked", $"{P(m.AtMentions.PassRateLinked)} / {P(m.AtMentions.PrecisionPassed)}"),
            ("at the other anchors: linked candidates that pass / what passes that is linked", $"{P(m.Elsewhere.PassRateLinked)} / {P(m.Elsewhere.PrecisionPassed)}"),
        ];
        foreach (var (label, value) in rows) sb.Append($"<tr><th>{H(label)}</th><td>{H(value)}</td></tr>\n");
        sb.Append("</tbody></table>\n");
        if (m.ByRank.Count == 0) return;
        sb.Append("<p>Verification by retrieval rank, over the judged candidates of documents with links: what a rank " +
                  "alone says (linked), and how many times as often a linked candidate passes verification as an " +
                  "unlinked one (likelihood ratio, the evidence verification adds).</p>\n<table id=\"links-by-rank\"><thead><tr>" +
                  "<th>ranks</th><th>judged</th><th>linked</th><th>passed</th><th>passed that are linked</th>" +
                  "<th>likelihood ratio</th></tr></thead><tbody>\n");
        foreach (var b in m.ByRank)
            sb.Append($"<tr><td>{b.Ranks}</td><td>{b.Judged:N0}</td><td>{P(b.LinkRate)}</td><td>{b.Passed:N0}</td><td>{P(b.PrecisionPassed)}</td>" +
                      $"<td>{b.LikelihoodRatioText}</td></tr>\n");
        sb.Append("</tbody></table>\n");
    }

    /// <summary>A JSON object as a two-column table, nested objects flattened with dotted keys.</summary>
    private static void Table(StringBuilder sb, JsonElement root, string id)
    {
        sb.Append($"<table class=\"kv\" id=\"{id}-table\"><tbody>\n");
        void Row(string key, JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Object && v.EnumerateObject().Any())
            {
                foreach (var p in v.EnumerateObject()) Row(key.Length == 0 ? p.Name : key + "." + p.Name, p.Value);
                return;
            }
            string text = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString()!,
                JsonValueKind.Array => string.Join(", ", v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                _ => v.GetRawText(),
            };
            sb.Append($"<tr><th>{H(key)}</th><td>{H(text)}</td></tr>\n");
        }
        Row("", root);
        sb.Append("</tbody></table>\n");
    }
}
