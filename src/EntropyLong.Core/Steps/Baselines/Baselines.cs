namespace EntropyLong.Core;

/// <summary>Stage 5 of the `retrieval` baseline, the paper's ablation "without verification": the same anchors and
/// retrieval as the method, and each document gets retrieved chunks placed unjudged. How many: as many as the method
/// placed for that document (<paramref name="matched"/>, read from an `entropylong` build of the same corpus; a
/// document the method did not use is not used), or one per anchor without a match. Which: the best-ranked across
/// anchors in turn (<see cref="DocumentContexts.Retrieved"/>).</summary>
public sealed class RetrievedAssemblyStep(IEntropyModel scorer, ITrainingTokenizer tokenizer, EntropyLongOptions options,
    IReadOnlyDictionary<string, int>? matched) : IBuildStep
{
    public string Name => "assembly";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            int count = matched is null ? d.Anchors.Length : matched.GetValueOrDefault(d.Id);
            if (count == 0) { d.Skip(matched is null ? "no_anchor" : "not_matched"); continue; }
            var contexts = new DocumentContexts(d, scorer).Retrieved(count);
            if (contexts.Count == 0) { d.Skip("no_candidate"); continue; }
            d.Sample = SequenceAssembly.Build(d.Id, d.Source.Text, SequenceAssembly.Order(contexts, d.Id, options), tokenizer, options);
            if (d.Sample is null) d.Skip(DocumentLengthStep.Reason);
        }
    }
}

/// <summary>The `random` baseline: plain concatenation, the standard long-context continued-pretraining data. Each
/// document is a sample of its own text; the documents of a block are packed in a seeded random order (from the run
/// seed and the document id), and the writer gives each sequence one attention span so attention crosses them.
/// With a <paramref name="tokenBudget"/> (the tokens another build wrote), documents are taken in input order until
/// their samples hold that many tokens, so the baseline holds as much distinct text as the build it is compared with
/// (the last document taken may pass the budget); the rest are skipped as over the budget.</summary>
public sealed class ConcatenationStep(ITrainingTokenizer tokenizer, EntropyLongOptions options, long? tokenBudget = null) : IBuildStep
{
    private long _tokens;

    public string Name => "assembly";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            if (_tokens >= tokenBudget) { d.Skip("over_token_budget"); continue; }
            d.Sample = SequenceAssembly.Build(d.Id, d.Source.Text, [], tokenizer, options);
            if (d.Sample is null) { d.Skip(DocumentLengthStep.Reason); continue; }
            _tokens += d.Sample.Tokens.Length;
            d.PackingKey = (long)(StableHash.Of(d.Id, options.Seed) >> 1);
        }
    }
}

/// <summary>The `nextlong` baseline (NExtLong, by the same authors): the document cut into meta-chunks at line breaks
/// (at most <paramref name="metaChunkChars"/> characters each, a longer line alone), each meta-chunk followed by
/// hard-negative distractors retrieved for it (its own text as the query; never the document's own chunks), the document
/// otherwise unchanged and in order. No entropy, no verification. How many distractors: as many as the method placed
/// for the document (<paramref name="matched"/>; a document it did not use is not used), or one per meta-chunk; they
/// are dealt to the meta-chunks in turn, each its next best unused hit. Over the target length, distractors are
/// dropped from the end. Hits <paramref name="contaminated"/> holds for are passed over (counted as
/// candidates_contaminated) and the next ones taken.</summary>
public sealed class NextLongStep(IRetriever retriever, ITrainingTokenizer tokenizer, EntropyLongOptions options,
    IReadOnlyDictionary<string, int>? matched, Func<RetrievedChunk, bool>? contaminated = null, int metaChunkChars = 512) : IBuildStep
{
    public string Name => "nextlong";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        var docs = block.Active.Where(d => matched is null || matched.GetValueOrDefault(d.Id) > 0).ToList();
        foreach (var d in block.Active.Except(docs)) d.Skip("not_matched");
        var pieces = docs.Select(d => MetaChunks(d.Source.Text, metaChunkChars)).ToList();
        var queries = docs.SelectMany((d, i) => pieces[i].Select(p => new RetrievalQuery(d.Source.Text.Substring(p.Start, p.Length), d.Id, d.Source.Text))).ToList();
        var guard = contaminated is null ? null : new ExcludingRetriever(retriever, contaminated);
        var hits = queries.Count == 0 ? [] : (guard ?? retriever).Retrieve(queries, options.TopK, cancellationToken);
        block.Stats.CandidatesRetrieved += hits.Sum(h => (long)h.Count);
        block.Stats.CandidatesContaminated += guard?.Excluded ?? 0;
        int q = 0;
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            var mine = hits.Skip(q).Take(pieces[i].Count).ToList();
            q += pieces[i].Count;
            var dealt = Deal(mine, matched?.GetValueOrDefault(d.Id) ?? pieces[i].Count);
            for (var sample = Interleave(d, pieces[i], dealt); ; sample = Interleave(d, pieces[i], dealt))
            {
                if (sample is not null) { d.Sample = sample; break; }
                if (!DropLast(dealt)) { d.Skip(DocumentLengthStep.Reason); break; }
            }
        }
    }

    /// <summary>[Start, Length) slices covering the text, cut after line breaks, each at most <paramref name="limit"/>
    /// characters unless one line is longer.</summary>
    public static List<(int Start, int Length)> MetaChunks(string text, int limit)
    {
        var result = new List<(int, int)>();
        int start = 0, end = 0;
        while (end < text.Length)
        {
            int next = text.IndexOf('\n', end);
            next = next < 0 ? text.Length : next + 1;
            if (next - start > limit && end > start) { result.Add((start, end - start)); start = end; }
            end = next;
        }
        if (end > start) result.Add((start, end - start));
        return result;
    }

    // Distractors per meta-chunk: each meta-chunk in turn takes its next best hit not yet taken by the document.
    private static List<RetrievedChunk>[] Deal(IReadOnlyList<IReadOnlyList<RetrievedChunk>> hits, int count)
    {
        var dealt = hits.Select(_ => new List<RetrievedChunk>()).ToArray();
        var next = new int[hits.Count];
        var taken = new HashSet<long>();
        for (bool progress = true; progress && taken.Count < count;)
        {
            progress = false;
            for (int m = 0; m < hits.Count && taken.Count < count; m++)
            {
                while (next[m] < hits[m].Count && !taken.Add(hits[m][next[m]].Key)) next[m]++;
                if (next[m] >= hits[m].Count) continue;
                dealt[m].Add(hits[m][next[m]++]);
                progress = true;
            }
        }
        return dealt;
    }

    private static bool DropLast(List<RetrievedChunk>[] dealt)
    {
        for (int m = dealt.Length - 1; m >= 0; m--)
            if (dealt[m].Count > 0) { dealt[m].RemoveAt(dealt[m].Count - 1); return true; }
        return false;
    }

    private Sample? Interleave(BuildDocument d, List<(int Start, int Length)> pieces, List<RetrievedChunk>[] dealt)
    {
        var text = new System.Text.StringBuilder();
        var contexts = new List<SampleContext>();
        var starts = new List<int>();
        for (int m = 0; m < pieces.Count; m++)
        {
            if (m > 0 && dealt[m - 1].Count > 0) text.Append(options.Separator);
            text.Append(d.Source.Text, pieces[m].Start, pieces[m].Length);
            foreach (var hit in dealt[m])
            {
                text.Append(options.Separator);
                starts.Add(text.Length);
                text.Append(hit.Text);
                contexts.Add(new SampleContext(hit.ChunkId, hit.DocumentId, hit.Text, -1, -1, "", float.NaN, float.NaN, double.NaN) { Kind = ContextKind.Distractor });
            }
        }
        return SequenceAssembly.Laid(d.Id, text.ToString(), contexts, starts, contexts.Select(_ => -1).ToList(), tokenizer, options);
    }
}
