namespace EntropyLong.Core;

/// <summary>The build's counters, written to stats.json (snake_case keys). Merged across tasks by summing.</summary>
public sealed class BuildStats
{
    public long DocumentsRead { get; set; }
    /// <summary>Documents not used, by reason: input problems (malformed_json, missing_text, invalid_utf8, empty),
    /// guards (duplicate_id, contaminated) and method outcomes (too_short, no_anchor, no_verified_chunk, no_verified_chunk_fits, longer_than_seq_len).</summary>
    public SortedDictionary<string, long> DocumentsSkipped { get; set; } = new();
    public long DocumentsUsed { get; set; }
    public long TokensIn { get; set; }
    public long Anchors { get; set; }
    public double AnchorsPerDocument => DocumentsRead == 0 ? 0 : (double)Anchors / DocumentsRead;
    public long CandidatesRetrieved { get; set; }
    public long CandidatesJudged { get; set; }
    /// <summary>Pairs whose chunk alone fills the scorer's context, so nothing of the document fits after it.</summary>
    public long CandidatesUnfit { get; set; }
    /// <summary>Pairs not judged because a better-retrieved candidate of the document has the same text (<see cref="RepeatedTextStep"/>).</summary>
    public long CandidatesRepeatedText { get; set; }
    /// <summary>Pairs not judged because the chunk is a near-copy of the document (<see cref="NearDuplicateStep"/>).</summary>
    public long CandidatesNearDuplicate { get; set; }
    /// <summary>Pairs not judged because the chunk shares an n-gram with evaluation data (<see cref="DecontaminateCandidatesStep"/>);
    /// for `nextlong`, retrieved distractors passed over for it (<see cref="NextLongStep"/>).</summary>
    public long CandidatesContaminated { get; set; }
    /// <summary>Pairs that passed verification and were not kept: their anchor had its share of better-ranked chunks
    /// (<see cref="PerAnchorCapStep"/>, --max-chunks-per-anchor).</summary>
    public long CandidatesCapped { get; set; }
    /// <summary>Pairs that passed verification and were not kept: the chunk lowered the entropy of the rest of the
    /// document too little (<see cref="DocumentGainStep"/>, --min-document-gain).</summary>
    public long CandidatesBelowDocumentGain { get; set; }
    /// <summary>Verified chunks of the documents used, placed or dropped to fit the target length.</summary>
    public long ChunksVerified { get; set; }
    /// <summary>The entropy drops of those chunks, summed.</summary>
    public double DeltaSum { get; set; }
    public double MeanDelta => ChunksVerified == 0 ? 0 : DeltaSum / ChunksVerified;
    /// <summary>Contexts of either kind dropped from the front of samples longer than the target.</summary>
    public long ContextsDroppedForLength { get; set; }
    /// <summary>Hard negatives placed among the verified contexts (--hard-negatives); never counted as verified.</summary>
    public long ContextsNegative { get; set; }
    /// <summary>Contexts placed without verification: the `retrieval` baseline's top retrieved chunks and `nextlong`'s
    /// distractors (0 for the method itself).</summary>
    public long ContextsUnjudged { get; set; }
    public long Sequences { get; set; }
    public long Samples { get; set; }
    public long TokensOut { get; set; }
    /// <summary>Scorer tokens decoded for stage 1 (every document once).</summary>
    public long ScoringForwardTokens { get; set; }
    /// <summary>Scorer tokens decoded for verification, as planned (grouped by chunk unless --naive).</summary>
    public long ForwardTokens { get; set; }
    /// <summary>What judging every (anchor, candidate) pair with its own pass would have decoded.</summary>
    public long NaiveForwardTokens { get; set; }
    /// <summary>Scorer tokens decoded to measure kept chunks' document gain (--min-document-gain).</summary>
    public long DocumentGainForwardTokens { get; set; }
    public double ForwardTokensPerVerifiedChunk => ChunksVerified == 0 ? 0 : (double)ForwardTokens / ChunksVerified;
    public double NaiveForwardTokensPerVerifiedChunk => ChunksVerified == 0 ? 0 : (double)NaiveForwardTokens / ChunksVerified;
    public SortedDictionary<string, double> Seconds { get; set; } = new();

    public void Skip(string reason, long count = 1) => DocumentsSkipped[reason] = DocumentsSkipped.GetValueOrDefault(reason) + count;

    public void Add(BuildStats o)
    {
        DocumentsRead += o.DocumentsRead;
        foreach (var (k, v) in o.DocumentsSkipped) Skip(k, v);
        DocumentsUsed += o.DocumentsUsed; TokensIn += o.TokensIn; Anchors += o.Anchors;
        CandidatesRetrieved += o.CandidatesRetrieved; CandidatesJudged += o.CandidatesJudged; CandidatesUnfit += o.CandidatesUnfit;
        CandidatesRepeatedText += o.CandidatesRepeatedText; CandidatesNearDuplicate += o.CandidatesNearDuplicate; CandidatesContaminated += o.CandidatesContaminated;
        CandidatesCapped += o.CandidatesCapped; CandidatesBelowDocumentGain += o.CandidatesBelowDocumentGain;
        ChunksVerified += o.ChunksVerified; DeltaSum += o.DeltaSum; ContextsDroppedForLength += o.ContextsDroppedForLength;
        ContextsNegative += o.ContextsNegative;
        ContextsUnjudged += o.ContextsUnjudged;
        Sequences += o.Sequences; Samples += o.Samples; TokensOut += o.TokensOut;
        ScoringForwardTokens += o.ScoringForwardTokens; ForwardTokens += o.ForwardTokens; NaiveForwardTokens += o.NaiveForwardTokens;
        DocumentGainForwardTokens += o.DocumentGainForwardTokens;
        foreach (var (k, v) in o.Seconds) Seconds[k] = Seconds.GetValueOrDefault(k) + v;
    }
}
