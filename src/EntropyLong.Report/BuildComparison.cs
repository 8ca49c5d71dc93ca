using System.Text.Json.Serialization;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Report;

/// <summary>One build's counts over the documents both builds scored.</summary>
public sealed record BuildCounts
{
    [JsonPropertyName("documents_used")] public long DocumentsUsed { get; init; }
    [JsonPropertyName("anchors")] public long Anchors { get; init; }
    /// <summary>Distinct (document, chunk) pairs kept at some anchor.</summary>
    [JsonPropertyName("verified_pairs")] public long VerifiedPairs { get; init; }
    /// <summary>Mean over the verified pairs of the pair's best dI (where the chunk lowered the entropy most, as placed);
    /// null when there is none (a baseline verifies nothing).</summary>
    [JsonPropertyName("mean_delta")] public double? MeanDelta { get; init; }
}

/// <summary>Two sets compared: sizes, the shared part and the Jaccard similarity |A∩B| / |A∪B| (1 when both are empty).</summary>
public sealed record Overlap
{
    [JsonPropertyName("a")] public long A { get; init; }
    [JsonPropertyName("b")] public long B { get; init; }
    [JsonPropertyName("both")] public long Both { get; init; }
    [JsonPropertyName("a_only")] public long AOnly => A - Both;
    [JsonPropertyName("b_only")] public long BOnly => B - Both;
    [JsonPropertyName("jaccard")] public double Jaccard => A + B - Both == 0 ? 1 : (double)Both / (A + B - Both);
}

/// <summary>What changed between two builds (`entropylong compare`), over the documents both scored: how far their anchors
/// and verified (document, chunk) pairs agree, and the counts and mean dI of each. A document one build ruled out before
/// scoring it (a skip reason and no tokens: longer than its --seq-len, contaminated) has no anchor there, so counting it
/// would read as disagreement; such documents are counted apart. Anchors are matched by the character where the anchor
/// token starts, so builds scored by models with different tokenizers compare too.</summary>
public sealed record BuildComparison
{
    [JsonPropertyName("documents_a")] public long DocumentsA { get; init; }
    [JsonPropertyName("documents_b")] public long DocumentsB { get; init; }
    [JsonPropertyName("documents_both")] public long DocumentsBoth { get; init; }
    /// <summary>Documents both read and both scored: what everything below is over.</summary>
    [JsonPropertyName("documents_scored_both")] public long DocumentsScoredBoth { get; init; }
    /// <summary>Documents both read that A ruled out before scoring and B scored.</summary>
    [JsonPropertyName("skipped_by_a_scored_by_b")] public long SkippedByAScoredByB { get; init; }
    /// <summary>Documents both read that B ruled out before scoring and A scored.</summary>
    [JsonPropertyName("skipped_by_b_scored_by_a")] public long SkippedByBScoredByA { get; init; }
    /// <summary>Anchors of the documents both scored, pooled over them.</summary>
    [JsonPropertyName("anchors")] public Overlap Anchors { get; init; } = new();
    /// <summary>The mean over documents both scored with an anchor in either build of the per-document anchor Jaccard.</summary>
    [JsonPropertyName("anchor_jaccard_per_document")] public double AnchorJaccardPerDocument { get; init; }
    [JsonPropertyName("verified_pairs")] public Overlap VerifiedPairs { get; init; } = new();
    [JsonPropertyName("a")] public BuildCounts CountsA { get; init; } = new();
    [JsonPropertyName("b")] public BuildCounts CountsB { get; init; } = new();

    /// <summary>Compares the details.jsonl of two finished builds.</summary>
    public static BuildComparison Of(BuildFiles a, BuildFiles b)
    {
        var first = Read(a);
        long documentsB = 0, both = 0, scoredBoth = 0, skippedByA = 0, skippedByB = 0, anchorsBoth = 0, pairsBoth = 0;
        double jaccardSum = 0;
        long jaccardDocuments = 0;
        var countsA = new Tally();
        var countsB = new Tally();
        foreach (var (id, mine) in Documents(b))
        {
            documentsB++;
            if (!first.TryGetValue(id, out var theirs)) continue;
            both++;
            if (!theirs.Scored || !mine.Scored)
            {
                if (mine.Scored) skippedByA++;
                else if (theirs.Scored) skippedByB++;
                continue;
            }
            scoredBoth++;
            countsA.Add(theirs);
            countsB.Add(mine);
            int shared = theirs.Anchors.Count(mine.Anchors.Contains);
            anchorsBoth += shared;
            int union = theirs.Anchors.Count + mine.Anchors.Count - shared;
            if (union > 0)
            {
                jaccardSum += (double)shared / union;
                jaccardDocuments++;
            }
            pairsBoth += theirs.Verified.Keys.Count(mine.Verified.ContainsKey);
        }
        // Over no document every overlap would be empty and read as full agreement.
        if (both == 0)
            throw new UserInputException($"{a.Directory} and {b.Directory}: the builds share no document ({first.Count:N0} and {documentsB:N0} read); compare pairs documents by id");
        if (scoredBoth == 0)
            throw new UserInputException($"{a.Directory} and {b.Directory}: of the {both:N0} documents both builds read, none was scored by both " +
                                         $"({skippedByA:N0} ruled out before scoring by A only, {skippedByB:N0} by B only)");
        return new BuildComparison
        {
            DocumentsA = first.Count,
            DocumentsB = documentsB,
            DocumentsBoth = both,
            DocumentsScoredBoth = scoredBoth,
            SkippedByAScoredByB = skippedByA,
            SkippedByBScoredByA = skippedByB,
            Anchors = new Overlap { A = countsA.Anchors, B = countsB.Anchors, Both = anchorsBoth },
            AnchorJaccardPerDocument = jaccardDocuments == 0 ? 1 : jaccardSum / jaccardDocuments,
            VerifiedPairs = new Overlap { A = countsA.Pairs, B = countsB.Pairs, Both = pairsBoth },
            CountsA = countsA.Counts(),
            CountsB = countsB.Counts(),
        };
    }

    /// <summary>What a comparison needs of one document: whether the build scored it, anchors by character, and each
    /// verified chunk with its best dI.</summary>
    private sealed record DocumentSummary(bool Scored, bool Used, HashSet<int> Anchors, Dictionary<string, double> Verified);

    private sealed class Tally
    {
        public long Used, Anchors, Pairs;
        private double _deltaSum;

        public void Add(DocumentSummary d)
        {
            if (d.Used) Used++;
            Anchors += d.Anchors.Count;
            Pairs += d.Verified.Count;
            _deltaSum += d.Verified.Values.Sum();
        }

        public BuildCounts Counts() => new() { DocumentsUsed = Used, Anchors = Anchors, VerifiedPairs = Pairs, MeanDelta = Pairs == 0 ? null : _deltaSum / Pairs };
    }

    private static Dictionary<string, DocumentSummary> Read(BuildFiles build)
    {
        var documents = new Dictionary<string, DocumentSummary>(StringComparer.Ordinal);
        foreach (var (id, summary) in Documents(build)) documents[id] = summary;
        return documents;
    }

    /// <summary>Each document of a build's details.jsonl, summarised; a document id seen twice is an error (unless the
    /// build ruled the repeat out), since the comparison pairs documents by id.</summary>
    private static IEnumerable<(string Id, DocumentSummary Summary)> Documents(BuildFiles build)
    {
        string path = build.DetailsPath ?? throw new UserInputException($"{build.Directory}: no details.jsonl (built with --no-details); compare needs it");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, r) in build.ReadDetails())
        {
            if (r.SkipReason == DuplicateIdStep.Reason) continue; // the build's own record of a repeat it ruled out
            if (!seen.Add(r.DocumentId)) throw new UserInputException($"{path}:{line}: document '{r.DocumentId}' appears twice; compare pairs documents by id");
            var offsets = TokenPieces.Offsets([.. r.Tokens]);
            var anchors = r.Anchors.Select(a => AnchorChar(r.Tokens, offsets, a.Position, () => new UserInputException(
                $"{path}:{line}: anchor position {a.Position} is outside the document's {r.Tokens.Count} tokens"))).ToHashSet();
            var verified = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var c in r.Anchors.SelectMany(a => a.Candidates))
                if (c.Kept && c.Delta is double d) verified[c.ChunkId] = Math.Max(verified.GetValueOrDefault(c.ChunkId, double.NegativeInfinity), d);
            // Ruled out before scoring: skipped with no tokens (a baseline that scores nothing still has none, but uses it).
            bool scored = r.SkipReason is null || r.Tokens.Count > 0;
            yield return (r.DocumentId, new DocumentSummary(scored, r.SkipReason is null, anchors, verified));
        }
    }

    // Where the anchor token's text starts in the document; the tail of a character split across tokens has an empty
    // piece and starts where its head does.
    private static int AnchorChar(IReadOnlyList<string> pieces, int[] offsets, int position, Func<Exception> outside)
    {
        if (position < 0 || position >= pieces.Count) throw outside();
        while (position > 0 && pieces[position].Length == 0) position--;
        return offsets[position];
    }
}
