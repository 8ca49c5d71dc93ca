using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;

namespace EntropyLong.Report;

/// <summary>A histogram with fixed bins over [Min, Max); values outside are clamped into the end bins.</summary>
public sealed class Histogram(double min, double max, int bins)
{
    public double Min { get; } = min;
    public double Max { get; } = max;
    public long[] Counts { get; } = new long[bins];
    public double Width => (Max - Min) / Counts.Length;
    public long Total { get; private set; }
    internal void SetTotal(long total) => Total = total;

    /// <summary>The range holding data, in at most <paramref name="bins"/> bins (merging whole fine bins), so a
    /// narrow distribution is not drawn as two bars.</summary>
    public Histogram Trim(int bins)
    {
        int first = Array.FindIndex(Counts, c => c > 0), last = Array.FindLastIndex(Counts, c => c > 0);
        if (first < 0) return this;
        int merge = Math.Max(1, (last - first + bins) / bins);
        var trimmed = new Histogram(Min + first * Width, Min + (first + ((last - first) / merge + 1) * merge) * Width, (last - first) / merge + 1);
        for (int i = first; i <= last; i++) trimmed.Counts[(i - first) / merge] += Counts[i];
        trimmed.Total = Total;
        return trimmed;
    }

    public void Add(double x)
    {
        if (double.IsNaN(x)) return;
        int i = (int)Math.Floor((x - Min) / Width);
        Counts[Math.Clamp(i, 0, Counts.Length - 1)]++;
        Total++;
    }
}

/// <summary>Everything the report shows, gathered in one streaming pass over details.jsonl and one over the
/// sequences: chart series over the whole build, and full detail for the documents embedded in the page.</summary>
public sealed class ReportData
{
    public JsonElement Stats { get; private init; }
    public JsonElement? Config { get; private init; }
    public bool HasDetails { get; private init; }
    public double Epsilon { get; private init; } = double.NaN;
    public int SeqLen { get; private init; }

    public Histogram TokenEntropy { get; private init; } = null!;
    public Histogram AnchorEntropy { get; private init; } = null!;
    public SortedDictionary<int, long> AnchorsPerDocument { get; } = new();
    // Fine bins, trimmed to the data's range when drawn.
    public Histogram JudgedDelta { get; } = new(-1, 1, 4000);
    public Histogram KeptDelta { get; } = new(-1, 1, 4000);
    /// <summary>(candidates judged, candidates kept) per document -> documents.</summary>
    public SortedDictionary<(int Judged, int Kept), long> JudgedVsKept { get; } = new();
    public List<int> SequenceLengths { get; } = new();
    /// <summary>Tokens from the end of each verified context to its anchor in the final sequences.</summary>
    public List<int> Distances { get; } = new();
    public long DocumentsTotal { get; private set; }
    /// <summary>The documents embedded in the page, in input order (see <see cref="ReportOptions"/>).</summary>
    public List<JsonObject> Documents { get; } = new();
    public int DocumentsWithoutText { get; private set; }

    public static ReportData Read(BuildFiles build, ReportOptions options, CancellationToken ct = default)
    {
        var stats = build.ReadJson(BuildFiles.Stats)!.Value;
        var config = build.ReadJson(BuildFiles.Config);
        double ln = 16;
        double epsilon = double.NaN;
        int seqLen = 0;
        if (config is { } c)
        {
            if (c.TryGetProperty("model_info", out var mi) && mi.TryGetProperty("vocab_size", out var v) && v.TryGetInt32(out int vocab) && vocab > 1)
                ln = Math.Ceiling(Math.Log(vocab));
            if (c.TryGetProperty("options", out var o))
            {
                if (o.TryGetProperty("epsilon", out var e)) epsilon = e.GetDouble();
                if (o.TryGetProperty("seq_len", out var s)) seqLen = s.GetInt32();
            }
        }
        var data = new ReportData
        {
            Stats = stats, Config = config, HasDetails = build.DetailsPath is not null, Epsilon = epsilon, SeqLen = seqLen,
            TokenEntropy = new Histogram(0, ln, 4000), AnchorEntropy = new Histogram(0, ln, 4000),
        };
        var wanted = options.SampleIds.ToHashSet(StringComparer.Ordinal);
        var byId = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        long budget = options.MaxEmbeddedBytes;

        bool Embed(string id) => wanted.Count > 0 ? wanted.Contains(id) : data.Documents.Count < options.MaxSamples;

        if (build.DetailsPath is { } details)
        {
            foreach (var (line, r) in BuildFiles.ReadLines(details))
            {
                ct.ThrowIfCancellationRequested();
                var at = new Where(details, line);
                data.DocumentsTotal++;
                string id = at.String(r, "document_id");
                var entropy = at.Array(r, "entropy");
                foreach (var h in entropy.EnumerateArray())
                    if (h.ValueKind == JsonValueKind.Number) data.TokenEntropy.Add(h.GetDouble());
                var anchors = at.Array(r, "anchors");
                int judged = 0, kept = 0;
                foreach (var a in anchors.EnumerateArray())
                {
                    data.AnchorEntropy.Add(at.Number(a, "entropy"));
                    foreach (var cand in at.Array(a, "candidates").EnumerateArray())
                    {
                        if (Nullable(cand, "delta") is not double d) continue; // not judged: the chunk fills the scorer's context
                        judged++;
                        data.JudgedDelta.Add(d);
                        if (cand.TryGetProperty("kept", out var k) && k.ValueKind == JsonValueKind.True) { kept++; data.KeptDelta.Add(d); }
                    }
                }
                int n = anchors.GetArrayLength();
                data.AnchorsPerDocument[n] = data.AnchorsPerDocument.GetValueOrDefault(n) + 1;
                data.JudgedVsKept[(judged, kept)] = data.JudgedVsKept.GetValueOrDefault((judged, kept)) + 1;
                if (!Embed(id) || byId.ContainsKey(id)) continue;
                var doc = DocumentJson(r, at, withText: true);
                long size = doc.ToJsonString().Length;
                if (size > budget)
                {
                    // Too large for what is left of the budget: keep anchors and candidates, drop per-token text.
                    doc = DocumentJson(r, at, withText: false);
                    size = doc.ToJsonString().Length;
                    data.DocumentsWithoutText++;
                }
                budget -= size;
                data.Documents.Add(doc);
                byId[id] = doc;
            }
        }

        foreach (var (line, r) in BuildFiles.ReadLines(build.SequencesPath))
        {
            ct.ThrowIfCancellationRequested();
            var at = new Where(build.SequencesPath, line);
            data.SequenceLengths.Add((int)at.Number(r, "num_tokens"));
            long index = (long)at.Number(r, "index");
            string text = at.String(r, "text");
            foreach (var s in at.Array(r, "samples").EnumerateArray())
            {
                string id = at.String(s, "document_id");
                var contexts = at.Array(s, "contexts");
                foreach (var ctx in contexts.EnumerateArray())
                {
                    if (ctx.TryGetProperty("anchor_token", out var anchor) && ctx.TryGetProperty("end_token", out var end))
                        data.Distances.Add(anchor.GetInt32() - end.GetInt32());
                    if (!data.HasDetails) data.KeptDelta.Add(at.Number(ctx, "delta"));
                }
                if (!data.HasDetails)
                {
                    data.DocumentsTotal++;
                    if (Embed(id) && !byId.ContainsKey(id))
                    {
                        var doc = new JsonObject { ["id"] = id, ["skip"] = null };
                        data.Documents.Add(doc);
                        byId[id] = doc;
                    }
                }
                if (byId.TryGetValue(id, out var embedded)) embedded["sample"] = SampleJson(index, text, s, at, options.MaxContextChars);
            }
        }
        if (wanted.Count > 0 && wanted.Except(byId.Keys).FirstOrDefault() is { } missing)
            throw new UserInputException($"{build.Directory}: no document '{missing}' in the build");
        return data;
    }

    // Short keys: the page embeds many of these.
    private static JsonObject DocumentJson(JsonElement r, Where at, bool withText)
    {
        var doc = new JsonObject
        {
            ["id"] = at.String(r, "document_id"),
            ["skip"] = r.TryGetProperty("skip_reason", out var skip) && skip.ValueKind == JsonValueKind.String ? skip.GetString() : null,
            ["n"] = at.Array(r, "tokens").GetArrayLength(),
            ["tau"] = r.TryGetProperty("threshold", out var tau) && tau.ValueKind == JsonValueKind.Number ? tau.GetDouble() : null,
        };
        if (withText)
        {
            doc["tokens"] = JsonNode.Parse(at.Array(r, "tokens").GetRawText());
            doc["entropy"] = JsonNode.Parse(at.Array(r, "entropy").GetRawText());
        }
        var anchors = new JsonArray();
        foreach (var a in at.Array(r, "anchors").EnumerateArray())
        {
            var cands = new JsonArray();
            foreach (var c in at.Array(a, "candidates").EnumerateArray())
                cands.Add(new JsonObject
                {
                    ["chunk"] = at.String(c, "chunk_id"),
                    ["src"] = at.String(c, "source_document_id"),
                    ["score"] = at.Number(c, "score"),
                    ["h"] = Nullable(c, "h"),
                    ["hp"] = Nullable(c, "h_prime"),
                    ["d"] = Nullable(c, "delta"),
                    ["kept"] = c.TryGetProperty("kept", out var k) && k.ValueKind == JsonValueKind.True,
                });
            anchors.Add(new JsonObject
            {
                ["pos"] = (int)at.Number(a, "position"),
                ["h"] = at.Number(a, "entropy"),
                ["query"] = at.String(a, "query"),
                ["cands"] = cands,
            });
        }
        doc["anchors"] = anchors;
        return doc;
    }

    private static JsonObject SampleJson(long index, string text, JsonElement s, Where at, int maxContextChars)
    {
        var contexts = new JsonArray();
        foreach (var c in at.Array(s, "contexts").EnumerateArray())
        {
            int start = (int)at.Number(c, "start_char"), end = (int)at.Number(c, "end_char");
            if (start < 0 || end > text.Length || end < start) throw at.Error("context start_char/end_char outside the sequence text");
            contexts.Add(new JsonObject
            {
                ["chunk"] = at.String(c, "chunk_id"),
                ["src"] = at.String(c, "source_document_id"),
                ["start_token"] = Nullable(c, "start_token"),
                ["end_token"] = Nullable(c, "end_token"),
                ["anchor_token"] = Nullable(c, "anchor_token"),
                ["pos"] = (int)at.Number(c, "anchor_position"),
                ["anchor_text"] = at.String(c, "anchor_text"),
                ["h"] = at.Number(c, "h"),
                ["hp"] = at.Number(c, "h_prime"),
                ["d"] = at.Number(c, "delta"),
                ["text"] = end - start > maxContextChars ? text[start..(start + maxContextChars)] + " [...]" : text[start..end],
            });
        }
        return new JsonObject
        {
            ["seq"] = index,
            ["start_token"] = (int)at.Number(s, "start_token"),
            ["end_token"] = (int)at.Number(s, "end_token"),
            ["dropped"] = (int)at.Number(s, "contexts_dropped"),
            ["contexts"] = contexts,
        };
    }

    private static double? Nullable(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>File and line of a record, for messages about a missing or mistyped field.</summary>
    private readonly record struct Where(string Path, long Line)
    {
        public UserInputException Error(string what) => new($"{Path}:{Line}: {what}");

        private JsonElement Get(JsonElement e, string name, JsonValueKind kind)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v)) throw Error($"missing field '{name}'");
            if (v.ValueKind != kind) throw Error($"field '{name}' should be {kind.ToString().ToLowerInvariant()}, is {v.ValueKind.ToString().ToLowerInvariant()}");
            return v;
        }

        public string String(JsonElement e, string name) => Get(e, name, JsonValueKind.String).GetString()!;
        public double Number(JsonElement e, string name) => Get(e, name, JsonValueKind.Number).GetDouble();
        public JsonElement Array(JsonElement e, string name) => Get(e, name, JsonValueKind.Array);
    }
}

/// <summary>What goes into the page.</summary>
public sealed record ReportOptions
{
    /// <summary>Documents embedded with full detail, the first ones in input order (unless <see cref="SampleIds"/>).</summary>
    public int MaxSamples { get; init; } = 200;
    /// <summary>Bytes of document detail the page may embed; past it documents come without per-token text.</summary>
    public long MaxEmbeddedBytes { get; init; } = 24L << 20;
    /// <summary>Embed exactly these documents instead.</summary>
    public IReadOnlyList<string> SampleIds { get; init; } = [];
    /// <summary>Context text shown per verified chunk.</summary>
    public int MaxContextChars { get; init; } = 4000;
}
