namespace EntropyLong.Core;

/// <summary>Beyond the paper: a corpus can hold one text under two ids (a re-crawled page, an entry filed twice, a line
/// that recurs across documents). Both copies would then be retrieved for the same document, judged alike, and placed
/// twice in one sequence. Of a document's candidates with the same text one stands for all, the best-retrieved (ties:
/// the lower chunk id): an anchor that retrieved another copy judges it in the copy's place, at the copy's rank and
/// score, so the text is still judged at every anchor that found it; a copy retrieved beside it at the same anchor
/// is excluded before verification. Copies of the document's own chunks never reach here (the retriever excludes
/// them).</summary>
public sealed class RepeatedTextStep : IBuildStep
{
    public const string Reason = "repeated_text";

    public string Name => "repeated_text";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            var standIn = new Dictionary<string, RetrievedChunk>(StringComparer.Ordinal);
            foreach (var hit in d.Candidates.SelectMany(h => h ?? []).OrderByDescending(h => h.Score).ThenBy(h => h.ChunkId, StringComparer.Ordinal))
                standIn.TryAdd(hit.Text, hit);
            for (int a = 0; a < d.Candidates.Length; a++)
            {
                if (d.Candidates[a] is not { } hits || hits.All(h => standIn[h.Text].Key == h.Key)) continue;
                // Per text in this anchor's list: the stand-in where it is there, else the first copy becomes it.
                var placed = hits.Where(h => standIn[h.Text].Key == h.Key).Select(h => h.Text).ToHashSet(StringComparer.Ordinal);
                var kept = new List<RetrievedChunk>(hits.Count);
                foreach (var h in hits)
                {
                    var s = standIn[h.Text];
                    if (s.Key == h.Key) kept.Add(h);
                    else if (placed.Add(h.Text)) kept.Add(s with { Score = h.Score });
                    else
                    {
                        kept.Add(h);
                        d.Excluded[h.Key] = Reason;
                    }
                }
                d.Candidates[a] = kept;
            }
            block.Stats.CandidatesRepeatedText += d.CandidatesExcluded(Reason);
        }
    }
}
