using System.Text.Json;
using System.Text.Json.Serialization;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Report;

/// <summary>A document's known dependencies: the documents it links to (a dictionary's cross references, a wiki's
/// hyperlinks) and, when known, where it mentions them ([start, end) characters of its text).</summary>
public sealed record DocumentLinks(IReadOnlySet<string> Targets, IReadOnlyList<(int Start, int End, string Target)> Mentions);

/// <summary>How often what a build found is a known dependency (`entropylong bench links`, and the report). Pairs are
/// distinct (document, source document) pairs; precision is taken over the documents that have links, since a
/// document without any says nothing about what it depends on.</summary>
public sealed record LinkMetrics
{
    [JsonPropertyName("documents_read")] public long DocumentsRead { get; init; }
    [JsonPropertyName("documents_used")] public long DocumentsUsed { get; init; }
    [JsonPropertyName("anchors")] public long Anchors { get; init; }
    /// <summary>Documents read by the build that have at least one link: the denominator of <see cref="RecallDocs"/>.</summary>
    [JsonPropertyName("linked_documents")] public long LinkedDocuments { get; init; }
    /// <summary>Distinct (document, source) pairs of kept candidates, over the linked documents.</summary>
    [JsonPropertyName("verified_pairs")] public long VerifiedPairs { get; init; }
    [JsonPropertyName("precision_verified")] public double? PrecisionVerified { get; init; }
    /// <summary>95% interval of <see cref="PrecisionVerified"/>: a percentile bootstrap that resamples the linked
    /// documents, since one document's pairs stand or fall together. Two scorers whose intervals overlap widely are
    /// not told apart by this corpus. Null, as the ratios below, where nothing was measured (no verified pair).</summary>
    [JsonPropertyName("precision_verified_ci95")] public IReadOnlyList<double>? PrecisionVerifiedInterval { get; init; }
    /// <summary>Over the first candidate retrieved for each anchor.</summary>
    [JsonPropertyName("precision_top1")] public double? PrecisionTop1 { get; init; }
    /// <summary>Over every candidate retrieved for an anchor, judged or not.</summary>
    [JsonPropertyName("precision_retrieved")] public double? PrecisionRetrieved { get; init; }
    /// <summary>Linked documents with at least one kept candidate from a document they link to.</summary>
    [JsonPropertyName("recall_docs")] public double? RecallDocs { get; init; }
    /// <summary>Anchors of linked documents, and those inside the mention of a linked document (when mentions are known).</summary>
    [JsonPropertyName("anchors_of_linked_documents")] public long AnchorsOfLinkedDocuments { get; init; }
    [JsonPropertyName("anchors_in_mentions")] public long AnchorsInMentions { get; init; }
    /// <summary>Over the documents whose mentions are known: the share of their tokens inside a mention, of their words
    /// (as word anchors count them; a word by its last token), and of their anchors (an anchor's last token). An anchor
    /// share equal to that of the units the build chose anchors from (words with word entropy, else tokens) means the
    /// anchors find the linked terms no more often than chance.</summary>
    [JsonPropertyName("mention_token_share")] public double? MentionTokenShare { get; init; }
    [JsonPropertyName("mention_word_share")] public double? MentionWordShare { get; init; }
    [JsonPropertyName("mention_anchor_share")] public double? MentionAnchorShare { get; init; }
    /// <summary>Verification's verdicts at anchors inside a mention and at the other anchors of those documents.</summary>
    [JsonPropertyName("at_mentions")] public VerdictCounts AtMentions { get; init; } = new();
    [JsonPropertyName("elsewhere")] public VerdictCounts Elsewhere { get; init; } = new();
    /// <summary>Verification's verdicts by retrieval rank (1, 2-4, 5-8, 9-16, ...), over the judged candidates of linked documents.</summary>
    [JsonPropertyName("by_rank")] public IReadOnlyList<RankBand> ByRank { get; init; } = [];
}

/// <summary>Verdicts on judged candidates of documents with links, each counted once per anchor (verdicts, not distinct
/// pairs). <see cref="LikelihoodRatio"/>, how many times as often a linked candidate passes verification as an
/// unlinked one, is the evidence verification adds; what passes is linked with odds the group's odds
/// (<see cref="LinkRate"/>) times that ratio. Passing is verification: dI at least epsilon, and the document gain when
/// the build asked for it, whether or not the chunk was then kept.</summary>
public record VerdictCounts
{
    [JsonPropertyName("judged")] public long Judged { get; init; }
    [JsonPropertyName("linked")] public long Linked { get; init; }
    [JsonPropertyName("passed")] public long Passed { get; init; }
    [JsonPropertyName("passed_linked")] public long PassedLinked { get; init; }
    [JsonPropertyName("link_rate")] public double? LinkRate => Ratio(Linked, Judged);
    [JsonPropertyName("precision_passed")] public double? PrecisionPassed => Ratio(PassedLinked, Passed);
    [JsonPropertyName("pass_rate_linked")] public double? PassRateLinked => Ratio(PassedLinked, Linked);
    [JsonPropertyName("pass_rate_unlinked")] public double? PassRateUnlinked => Ratio(Passed - PassedLinked, Judged - Linked);
    /// <summary>Null when either pass rate is zero or undefined.</summary>
    [JsonPropertyName("likelihood_ratio")] public double? LikelihoodRatio => PassRateLinked > 0 && PassRateUnlinked > 0 ? PassRateLinked / PassRateUnlinked : null;
    /// <summary>The ratio as the text and the report print it: one decimal, "-" when there is none.</summary>
    [JsonIgnore] public string LikelihoodRatioText => LikelihoodRatio is { } r ? r.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "-";

    internal VerdictCounts Add(bool linked, bool passed) => this with
    {
        Judged = Judged + 1, Linked = Linked + (linked ? 1 : 0), Passed = Passed + (passed ? 1 : 0), PassedLinked = PassedLinked + (linked && passed ? 1 : 0),
    };

    // Null over nothing: 0 would read as measured.
    internal static double? Ratio(long part, long whole) => whole == 0 ? null : (double)part / whole;
}

/// <summary>The verdicts at a band of retrieval ranks. <see cref="VerdictCounts.LinkRate"/> is what the rank alone
/// says, so a weak test among many deep candidates keeps mostly unlinked ones.</summary>
public sealed record RankBand : VerdictCounts
{
    [JsonPropertyName("ranks")] public string Ranks { get; init; } = "";
}

public static class LinkMeasurement
{
    /// <summary>Links from JSON lines <c>{"id": ..., "links": [ids], "mentions": [[start, end, id], ...]}</c> (mentions
    /// optional; a corpus file whose records carry these fields serves as is). Ids are strings or numbers, as the corpus
    /// reader takes them. Records without "links" are left out; the records of one id are joined, and a link to the
    /// document itself is left out (its own chunks are never retrieved for it). A bad record is an error, or, for a
    /// <paramref name="corpus"/> file (which build read skipping such records), skipped.</summary>
    public static IReadOnlyDictionary<string, DocumentLinks> Read(string path, bool corpus = false)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "links file");
        var result = new Dictionary<string, DocumentLinks>(StringComparer.Ordinal);
        foreach (var (line, text) in JsonlLines.Read(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                var r = doc.RootElement;
                if (!r.TryGetProperty("links", out var links)) continue;
                string id = Id(r.GetProperty("id"), "\"id\"");
                var targets = links.EnumerateArray().Select(l => Id(l, "a link")).Where(t => t != id).ToHashSet(StringComparer.Ordinal);
                var mentions = r.TryGetProperty("mentions", out var m) ? m.EnumerateArray().Select(Mention).ToList() : [];
                if (result.TryGetValue(id, out var earlier))
                {
                    targets.UnionWith(earlier.Targets);
                    mentions = [.. earlier.Mentions, .. mentions];
                }
                result[id] = new DocumentLinks(targets, mentions);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                if (corpus) continue;
                throw new UserInputException($"{path}:{line}: not a links record ({JsonErrors.Message(e)}); expected {{\"id\": ..., \"links\": [ids]}}", e);
            }
        }
        return result;
    }

    private static string Id(JsonElement x, string what) => x.ValueKind switch
    {
        JsonValueKind.String => x.GetString()!,
        JsonValueKind.Number => x.GetRawText(),
        _ => throw new FormatException($"{what} is {x.ValueKind.ToString().ToLowerInvariant()}, not a string or number"),
    };

    private static (int Start, int End, string Target) Mention(JsonElement x) =>
        x.ValueKind == JsonValueKind.Array && x.GetArrayLength() == 3 && x[0].ValueKind == JsonValueKind.Number && x[0].TryGetInt32(out int start)
        && x[1].ValueKind == JsonValueKind.Number && x[1].TryGetInt32(out int end) && 0 <= start && start <= end && x[2].ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? (start, end, Id(x[2], "a mention's id"))
            : throw new FormatException($"a mention is [start, end, id] (character offsets, start <= end, and the linked id), not {x.GetRawText()}");

    /// <summary>The links carried by the corpus files the build read (config.json names them). A file counts when its
    /// first record has a "links" field, so a large corpus without links costs one line; Parquet files are not read.</summary>
    public static IReadOnlyDictionary<string, DocumentLinks> CorpusLinks(BuildFiles build)
    {
        var config = build.ReadConfig() ?? throw new UserInputException($"{build.Directory}: no config.json to find the corpus in; give --links");
        var merged = new Dictionary<string, DocumentLinks>(StringComparer.Ordinal);
        if (config.TryGetProperty("corpus", out var files))
        {
            if (files.ValueKind != JsonValueKind.Array || files.EnumerateArray().Any(f => f.ValueKind != JsonValueKind.String))
                throw new UserInputException($"{Path.Combine(build.Directory, BuildFolder.Config)}: \"corpus\" is not a list of file names; give --links");
            foreach (var f in files.EnumerateArray().Select(f => f.GetString()!).Where(f => !f.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) && FirstRecordHasLinks(f)))
                foreach (var (id, l) in Read(f, corpus: true)) merged[id] = l;
        }
        return merged;
    }

    private static bool FirstRecordHasLinks(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: corpus file not found (named in the build's config.json)");
        foreach (var (_, text) in JsonlLines.Read(path))
        {
            try { using var doc = JsonDocument.Parse(text); return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("links", out _); }
            catch (JsonException) { return false; }
        }
        return false;
    }

    /// <summary>The link metrics of a finished build (its details.jsonl and stats.json).</summary>
    public static LinkMetrics Measure(BuildFiles build, IReadOnlyDictionary<string, DocumentLinks> links)
    {
        if (build.DetailsPath is null) throw new UserInputException($"{build.Directory}: no details.jsonl (built with --no-details); the link metrics need it");
        var stats = build.ReadJson(BuildFolder.Stats)!.Value;
        long Counter(string key) => stats.ValueKind == JsonValueKind.Object && stats.TryGetProperty(key, out var v) && v.TryGetInt64(out long n) ? n
            : throw new UserInputException($"{Path.Combine(build.Directory, BuildFolder.Stats)}: no \"{key}\" count (a whole number)");
        // Read first, so a stats.json without them says so before its count of documents is checked.
        long documentsRead = Counter("documents_read"), documentsUsed = Counter("documents_used"), anchorCount = Counter("anchors");
        var verified = new HashSet<(string, string)>();
        var top1 = new HashSet<(string, string)>();
        var retrieved = new HashSet<(string, string)>();
        long linkedDocs = 0, recalled = 0, anchors = 0, inMentions = 0;
        long placedTokens = 0, mentionTokens = 0, placedWords = 0, mentionWords = 0, placedAnchors = 0; // of documents whose mentions are known
        var bands = new List<VerdictCounts>();
        VerdictCounts atMentions = new(), elsewhere = new();
        foreach (var (_, r) in build.ReadDetails())
        {
            if (!links.TryGetValue(r.DocumentId, out var mine) || mine.Targets.Count == 0) continue;
            linkedDocs++;
            bool found = false;
            var starts = TokenStarts(r.Tokens);
            bool InMention(int token) => mine.Mentions.Any(m => starts[token] >= m.Start && starts[token] < m.End);
            bool placed = mine.Mentions.Count > 0;
            if (placed)
                for (int t = 0; t < r.Tokens.Count; t++)
                    if (r.Tokens[t].Length > 0)
                    {
                        placedTokens++;
                        if (InMention(t)) mentionTokens++;
                    }
            if (placed)
                foreach (var (start, end) in Anchors.Words(r.Tokens))
                    if (Enumerable.Range(start, end - start + 1).Any(t => r.Tokens[t].Length > 0))
                    {
                        placedWords++;
                        if (InMention(end)) mentionWords++;
                    }
            foreach (var a in r.Anchors)
            {
                anchors++;
                // Only a document whose mentions are known has anchors inside one.
                bool anchorInMention = InMention(Math.Min(a.Position, starts.Length - 1));
                if (anchorInMention) inMentions++;
                if (placed) placedAnchors++;
                for (int i = 0; i < a.Candidates.Count; i++)
                {
                    var c = a.Candidates[i];
                    var pair = (r.DocumentId, c.SourceDocumentId);
                    retrieved.Add(pair);
                    if (i == 0) top1.Add(pair);
                    bool linked = mine.Targets.Contains(c.SourceDocumentId);
                    if (c.Delta is not null)
                    {
                        int band = RankBand(i + 1);
                        while (bands.Count <= band) bands.Add(new RankBand { Ranks = RankBandName(bands.Count) });
                        // Passed every test the build applied (dI, and the document gain when asked for); a capped
                        // chunk passed and gave way to a better-ranked one.
                        bool passed = c.Kept || c.Capped;
                        bands[band] = bands[band].Add(linked, passed);
                        if (placed && anchorInMention) atMentions = atMentions.Add(linked, passed);
                        else if (placed) elsewhere = elsewhere.Add(linked, passed);
                    }
                    if (!c.Kept) continue;
                    verified.Add(pair);
                    found |= linked;
                }
            }
            if (found) recalled++;
        }
        double? Precision(HashSet<(string Doc, string Source)> pairs) =>
            pairs.Count == 0 ? null : (double)pairs.Count(p => links[p.Doc].Targets.Contains(p.Source)) / pairs.Count;
        // Every linked document is a unit of the bootstrap, those without a verified pair too (they weigh nothing).
        var perDocument = verified.GroupBy(p => p.Item1)
            .Select(g => (Hits: g.Count(p => links[p.Item1].Targets.Contains(p.Item2)), Total: g.Count())).ToList();
        perDocument.AddRange(Enumerable.Repeat((0, 0), (int)linkedDocs - perDocument.Count));
        var (low, high) = BootstrapInterval(perDocument);
        return new LinkMetrics
        {
            DocumentsRead = documentsRead,
            DocumentsUsed = documentsUsed,
            Anchors = anchorCount,
            LinkedDocuments = linkedDocs,
            VerifiedPairs = verified.Count,
            PrecisionVerified = Precision(verified),
            PrecisionVerifiedInterval = verified.Count == 0 ? null : new[] { low, high },
            PrecisionTop1 = Precision(top1),
            PrecisionRetrieved = Precision(retrieved),
            RecallDocs = VerdictCounts.Ratio(recalled, linkedDocs),
            AnchorsOfLinkedDocuments = anchors,
            AnchorsInMentions = inMentions,
            MentionTokenShare = VerdictCounts.Ratio(mentionTokens, placedTokens),
            MentionWordShare = VerdictCounts.Ratio(mentionWords, placedWords),
            MentionAnchorShare = VerdictCounts.Ratio(inMentions, placedAnchors),
            AtMentions = atMentions,
            Elsewhere = elsewhere,
            ByRank = [.. bands.Cast<RankBand>()],
        };
    }

    /// <summary>The 2.5th and 97.5th percentiles of sum(hits) / sum(total) over <paramref name="resamples"/> draws of
    /// as many units as there are, with replacement (a draw with no total counts as 0). Seeded: the same input gives
    /// the same interval.</summary>
    public static (double Low, double High) BootstrapInterval(IReadOnlyList<(int Hits, int Total)> units, int resamples = 2000, int seed = 1)
    {
        if (units.Count == 0) return (0, 0);
        var rng = new Random(seed); // System.Random(int) is stable across runs and platforms
        var ratios = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            long hits = 0, total = 0;
            for (int i = 0; i < units.Count; i++)
            {
                var (h, t) = units[rng.Next(units.Count)];
                hits += h;
                total += t;
            }
            ratios[r] = total == 0 ? 0 : (double)hits / total;
        }
        Array.Sort(ratios);
        return (ratios[(int)(0.025 * (resamples - 1))], ratios[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }

    // Bands that double: 1, 2-4, 5-8, 9-16, 17-32, ...
    private static int RankBand(int rank) => rank == 1 ? 0 : Math.Max(1, System.Numerics.BitOperations.Log2((uint)(rank - 1)));

    private static string RankBandName(int band) => band == 0 ? "1" : $"{(band == 1 ? 2 : (1 << band) + 1)}-{1 << (band + 1)}";

    // Where each token's text starts in the document (the pieces concatenate to it; an empty piece continues a
    // character split across tokens, which starts where its head does).
    private static int[] TokenStarts(IReadOnlyList<string> pieces)
    {
        var starts = new int[Math.Max(1, pieces.Count)];
        int at = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            starts[i] = pieces[i].Length == 0 && i > 0 ? starts[i - 1] : at;
            at += pieces[i].Length;
        }
        return starts;
    }
}
