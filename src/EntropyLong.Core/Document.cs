namespace EntropyLong.Core;

/// <summary>A corpus document as read from a JSONL or Parquet file.</summary>
/// <param name="Id">Stable identifier: the record's <c>id</c>, else "file:line".</param>
/// <param name="Text">The document text.</param>
/// <param name="Source">Where it came from ("path:line"), for messages and provenance.</param>
public sealed record Document(string Id, string Text, string Source);

/// <summary>One document on its way through the build. Each step fills in its part, in stage order; a step that
/// rules a document out sets <see cref="SkipReason"/>, and later steps pass it over.</summary>
public sealed class BuildDocument(Document source)
{
    public Document Source { get; } = source;
    public string Id => Source.Id;

    /// <summary>Stage 1: the scorer's tokens (BOS first when the model uses one).</summary>
    public int[] Tokens { get; set; } = [];
    /// <summary>1 when <see cref="Tokens"/> starts with BOS, else 0: the body is Tokens[BodyStart..].</summary>
    public int BodyStart { get; set; }
    /// <summary>Stage 1: each token's text (see <see cref="TokenPieces"/>).</summary>
    public string[] Pieces { get; set; } = [];
    /// <summary>Stage 1: the entropy predicting each token (NaN where nothing predicts it).</summary>
    public float[] Entropy { get; set; } = [];

    /// <summary>Stage 2: tau = mean + alpha * std, and the tokens above it.</summary>
    public double Threshold { get; set; } = double.NaN;
    public Anchor[] Anchors { get; set; } = [];

    /// <summary>Stage 3: one query per anchor, and the chunks retrieved for it, best first.</summary>
    public string[] Queries { get; set; } = [];
    public IReadOnlyList<RetrievedChunk>[] Candidates { get; set; } = [];
    /// <summary>Candidates a guard ruled out before verification, by chunk key, with the reason
    /// (<see cref="NearDuplicateStep.Reason"/>, <see cref="DecontaminateCandidatesStep.Reason"/>): they are not judged.
    /// The first reason given stands.</summary>
    public Dictionary<long, string> Excluded { get; } = new();

    /// <summary>Stage 4: the judgements, by anchor then chunk.</summary>
    public IReadOnlyList<Verdict> Verdicts { get; set; } = [];

    /// <summary>Stage 5: the training sample, when the document is used.</summary>
    public Sample? Sample { get; set; }
    /// <summary>Where the sample goes among the block's when they are packed, smallest first (ties in input order): all 0
    /// keeps input order; the `random` baseline draws these to pack documents in a random order.</summary>
    public long PackingKey { get; set; }

    public string? SkipReason { get; private set; }
    public bool Skipped => SkipReason is not null;

    /// <summary>Rules the document out; the first reason given stands.</summary>
    public void Skip(string reason) => SkipReason ??= reason;

    public int CandidatesRetrieved => Candidates.Sum(c => c?.Count ?? 0);

    /// <summary>(anchor, candidate) pairs whose chunk is excluded for <paramref name="reason"/>, counted as verification
    /// counts the pairs it judges (a chunk once per anchor).</summary>
    public int CandidatesExcluded(string reason) =>
        Candidates.Sum(hits => (hits ?? []).Select(h => h.Key).Distinct().Count(k => Excluded.GetValueOrDefault(k) == reason));
}
