namespace EntropyLong.Core;

/// <summary>Beyond the paper: a candidate whose text is a near-copy of the document (a mirrored page, another version of
/// it) lowers the entropy by copying, more than any real dependency, and would teach copying rather than reading. Such
/// candidates are excluded before verification: those whose word 5-gram shingles have an estimated Jaccard similarity
/// with the document's of at least the threshold (<see cref="MinHash"/>; the document's signature is computed once,
/// each chunk's once per block). Exact copies of the document's own chunks never reach here (the retriever excludes
/// them).</summary>
public sealed class NearDuplicateStep(double threshold) : IBuildStep
{
    public const string Reason = "near_duplicate";
    private readonly MinHash _minHash = new();

    public string Name => "near_duplicate";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        var chunkSignatures = new Dictionary<long, ulong[]?>();
        var documents = block.Active.ToList();
        for (int i = 0; i < documents.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var d = documents[i];
            var hits = d.Candidates.SelectMany(h => h ?? []).DistinctBy(h => h.Key).Where(h => !d.Excluded.ContainsKey(h.Key)).ToList();
            var signature = hits.Count > 0 ? _minHash.Signature(d.Source.Text) : null;
            foreach (var hit in hits)
            {
                if (!chunkSignatures.TryGetValue(hit.Key, out var chunk)) chunkSignatures[hit.Key] = chunk = _minHash.Signature(hit.Text);
                if (MinHash.Similarity(signature, chunk) >= threshold) d.Excluded[hit.Key] = Reason;
            }
            block.Stats.CandidatesNearDuplicate += d.CandidatesExcluded(Reason);
            block.ReportProgress((double)(i + 1) / documents.Count);
        }
    }
}
