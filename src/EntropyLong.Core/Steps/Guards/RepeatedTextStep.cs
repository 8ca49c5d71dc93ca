namespace EntropyLong.Core;

/// <summary>Beyond the paper: a corpus can hold one text under two ids (a re-crawled page, an entry filed twice). Both
/// copies would then be retrieved for the same document, pass or fail verification alike, and be placed twice in one
/// sequence. Of a document's candidates with the same text only the best-retrieved is judged (ties: the lower chunk
/// id); the others are excluded before verification. Copies of the document's own chunks never reach here (the
/// retriever excludes them).</summary>
public sealed class RepeatedTextStep : IBuildStep
{
    public const string Reason = "repeated_text";

    public string Name => "repeated_text";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            var firstOfText = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var hit in d.Candidates.SelectMany(h => h ?? []).OrderByDescending(h => h.Score).ThenBy(h => h.ChunkId, StringComparer.Ordinal))
                if (!firstOfText.TryAdd(hit.Text, hit.Key) && firstOfText[hit.Text] != hit.Key) d.Excluded[hit.Key] = Reason;
            block.Stats.CandidatesRepeatedText += d.CandidatesExcluded(Reason);
        }
    }
}
