using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Data;

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
    /// <summary>Tokens from the end of each verified context to its anchor in the final sequences (hard negatives apart).</summary>
    public List<int> Distances { get; } = new();
    public long DocumentsTotal { get; private set; }
    /// <summary>The documents embedded in the page, in input order (see <see cref="ReportOptions"/>).</summary>
    public List<JsonObject> Documents { get; } = new();
    public int DocumentsWithoutText { get; private set; }

    public static ReportData Read(BuildFiles build, ReportOptions options, CancellationToken ct = default)
    {
        var stats = build.ReadJson(BuildFolder.Stats)!.Value;
        var config = build.ReadConfig();
        double ln = 16;
        double epsilon = double.NaN;
        int seqLen = 0;
        if (config is { } c)
        {
            static JsonElement? Member(JsonElement x, string name) => x.ValueKind == JsonValueKind.Object && x.TryGetProperty(name, out var v) ? v : null;
            UserInputException Bad(string field, string what) => new($"{Path.Combine(build.Directory, BuildFolder.Config)}: \"{field}\" is not {what}");
            if (Member(c, "model_info") is { } mi && Member(mi, "vocab_size") is { } v && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int vocab) && vocab > 1)
                ln = Math.Ceiling(Math.Log(vocab));
            if (Member(c, "options") is { } o)
            {
                if (Member(o, "epsilon") is { } e) epsilon = e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Bad("options.epsilon", "a number");
                if (Member(o, "seq_len") is { } s) seqLen = s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int n) ? n : throw Bad("options.seq_len", "a whole number");
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

        if (data.HasDetails)
        {
            foreach (var (_, r) in build.ReadDetails())
            {
                ct.ThrowIfCancellationRequested();
                data.DocumentsTotal++;
                foreach (var h in r.Entropy)
                    if (h is double e) data.TokenEntropy.Add(e);
                int judged = 0, kept = 0;
                foreach (var a in r.Anchors)
                {
                    data.AnchorEntropy.Add(a.Entropy);
                    foreach (var cand in a.Candidates)
                    {
                        if (cand.Delta is not double d) continue; // not judged: the chunk fills the scorer's context
                        judged++;
                        data.JudgedDelta.Add(d);
                        if (cand.Kept) { kept++; data.KeptDelta.Add(d); }
                    }
                }
                int n = r.Anchors.Count;
                data.AnchorsPerDocument[n] = data.AnchorsPerDocument.GetValueOrDefault(n) + 1;
                data.JudgedVsKept[(judged, kept)] = data.JudgedVsKept.GetValueOrDefault((judged, kept)) + 1;
                if (!Embed(r.DocumentId) || byId.ContainsKey(r.DocumentId)) continue;
                var doc = DocumentJson(r, withText: true);
                long size = doc.ToJsonString().Length;
                if (size > budget)
                {
                    // Too large for what is left of the budget: keep anchors and candidates, drop per-token text.
                    doc = DocumentJson(r, withText: false);
                    size = doc.ToJsonString().Length;
                    data.DocumentsWithoutText++;
                }
                budget -= size;
                data.Documents.Add(doc);
                byId[r.DocumentId] = doc;
            }
        }

        foreach (var (line, r) in build.ReadSequences())
        {
            ct.ThrowIfCancellationRequested();
            data.SequenceLengths.Add(r.NumTokens);
            foreach (var s in r.Samples)
            {
                foreach (var ctx in s.Contexts)
                {
                    if (ctx.Kind != ContextRecord.Verified) continue;
                    if (ctx.AnchorToken is int anchor && ctx.EndToken is int end) data.Distances.Add(anchor - end);
                    if (!data.HasDetails && ctx.Delta is double delta) data.KeptDelta.Add(delta);
                }
                if (!data.HasDetails)
                {
                    data.DocumentsTotal++;
                    if (Embed(s.DocumentId) && !byId.ContainsKey(s.DocumentId))
                    {
                        var doc = new JsonObject { ["id"] = s.DocumentId, ["skip"] = null };
                        data.Documents.Add(doc);
                        byId[s.DocumentId] = doc;
                    }
                }
                if (byId.TryGetValue(s.DocumentId, out var embedded))
                    embedded["sample"] = SampleJson(r, s, options.MaxContextChars, () => new UserInputException($"{build.SequencesPath}:{line}: context start_char/end_char outside the sequence text"));
            }
        }
        if (wanted.Count > 0 && wanted.Except(byId.Keys).FirstOrDefault() is { } missing)
            throw new UserInputException($"{build.Directory}: no document '{missing}' in the build");
        return data;
    }

    // Short keys: the page embeds many of these.
    private static JsonObject DocumentJson(DetailsRecord r, bool withText)
    {
        var doc = new JsonObject
        {
            ["id"] = r.DocumentId,
            ["skip"] = r.SkipReason,
            ["n"] = r.Tokens.Count,
            ["tau"] = r.Threshold,
        };
        if (withText)
        {
            doc["tokens"] = new JsonArray(r.Tokens.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
            doc["entropy"] = new JsonArray(r.Entropy.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray());
        }
        var anchors = new JsonArray();
        foreach (var a in r.Anchors)
        {
            var cands = new JsonArray();
            foreach (var c in a.Candidates)
            {
                var cand = new JsonObject
                {
                    ["chunk"] = c.ChunkId,
                    ["src"] = c.SourceDocumentId,
                    ["score"] = c.Score,
                    ["h"] = c.H,
                    ["hp"] = c.HPrime,
                    ["d"] = c.Delta,
                    ["kept"] = c.Kept,
                };
                if (c.Excluded is { } why) cand["excluded"] = why;
                if (c.Capped) cand["capped"] = true;
                if (c.BelowDocumentGain) cand["below_gain"] = true;
                cands.Add(cand);
            }
            anchors.Add(new JsonObject
            {
                ["pos"] = a.Position,
                ["h"] = a.Entropy,
                ["query"] = a.Query,
                ["cands"] = cands,
            });
        }
        doc["anchors"] = anchors;
        return doc;
    }

    private static JsonObject SampleJson(SequenceRecord seq, SampleRecord s, int maxContextChars, Func<Exception> outside)
    {
        var contexts = new JsonArray();
        foreach (var c in s.Contexts)
        {
            int start = c.StartChar, end = c.EndChar;
            if (start < 0 || end > seq.Text.Length || end < start) throw outside();
            contexts.Add(new JsonObject
            {
                ["chunk"] = c.ChunkId,
                ["src"] = c.SourceDocumentId,
                ["start_token"] = c.StartToken,
                ["end_token"] = c.EndToken,
                ["anchor_token"] = c.AnchorToken,
                ["pos"] = c.AnchorPosition,
                ["anchor_text"] = c.AnchorText,
                ["h"] = c.H,
                ["hp"] = c.HPrime,
                ["d"] = c.Delta,
                ["kind"] = c.Kind,
                ["text"] = end - start > maxContextChars ? seq.Text[start..(start + maxContextChars)] + " [...]" : seq.Text[start..end],
            });
        }
        return new JsonObject
        {
            ["seq"] = seq.Index,
            ["start_token"] = s.StartToken,
            ["end_token"] = s.EndToken,
            ["dropped"] = s.ContextsDropped,
            ["contexts"] = contexts,
        };
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
