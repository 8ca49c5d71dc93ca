using System.Diagnostics;
using EntropyLong.Core;

namespace EntropyLong.Pipeline;

/// <summary>What the method found for one document. <see cref="Detail"/> holds what details.jsonl shows.</summary>
public sealed record DocumentOutcome(Document Document, int Tokens, double Threshold, Anchor[] Anchors, IReadOnlyList<Verdict> Verdicts,
    Sample? Sample, string? SkipReason, int CandidatesRetrieved, DocumentDetail Detail);

/// <summary>Per-token text and entropy of a document (scorer tokens, BOS first when the model uses one), and for
/// each anchor its query and its retrieved chunks, best first.</summary>
public sealed record DocumentDetail(string[] Pieces, float[] Entropy, string[] Queries, IReadOnlyList<RetrievedChunk>[] Hits);

/// <summary>Time spent per stage, in seconds.</summary>
public sealed class StageTimes
{
    public double Entropy, Retrieval, Verification, Assembly, Writing;
    public void Add(StageTimes o) { Entropy += o.Entropy; Retrieval += o.Retrieval; Verification += o.Verification; Assembly += o.Assembly; Writing += o.Writing; }
}

/// <summary>Stages 1-5 for a block of documents. Documents are processed together so the block's (document, chunk)
/// pairs can be grouped by chunk and each chunk's prefix decoded once (METHOD.md, exactness note).</summary>
public sealed class BlockBuilder(IEntropyModel scorer, IRetriever retriever, Func<string, int[]> trainingTokenize, EntropyLongOptions options, bool naive = false)
{
    public sealed record Result(IReadOnlyList<DocumentOutcome> Documents, long ScoringTokens, long ForwardTokens, long NaiveForwardTokens,
        long PairsJudged, long PairsUnfit, StageTimes Times);

    /// <summary>Stages 1-3 for a block, and what stage 4 needs: each document's anchors with their candidates, the
    /// candidates' tokens, and the layout of a verification input.</summary>
    public sealed record PreparedBlock(int[][] Tokens, float[][] Entropy, double[] Thresholds, Anchor[][] Anchors, string[][] Queries,
        IReadOnlyList<RetrievedChunk>[][] Hits, Dictionary<long, RetrievedChunk> Chunks, Dictionary<long, int[]> ChunkTokens,
        VerificationLayout Layout, DocumentCandidates[] Candidates, long ScoringTokens);

    public PreparedBlock Prepare(IReadOnlyList<Document> documents, StageTimes times, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var info = scorer.Info;
        int bodyStart = info.AddsBos && info.BosToken is not null ? 1 : 0;

        // Stage 1: entropy at every position.
        var tokens = documents.Select(d => scorer.TokenizeWithBos(d.Text)).ToArray();
        var entropy = DocumentScoring.Score(scorer, tokens, ct);
        long scoringTokens = tokens.Where(t => t.Length >= 2).Sum(t => (long)t.Length);
        times.Entropy += Lap(clock);

        // Stage 2: anchors; stage 3: queries and retrieval.
        var anchors = new Anchor[documents.Count][];
        var queryText = new string[documents.Count][];
        var thresholds = new double[documents.Count];
        var queries = new List<RetrievalQuery>();
        var queryOwner = new List<(int Doc, int Anchor)>();
        for (int d = 0; d < documents.Count; d++)
        {
            if (tokens[d].Length - bodyStart < 2) { anchors[d] = []; queryText[d] = []; continue; }
            (thresholds[d], anchors[d]) = Anchors.Select(entropy[d], options.Alpha, options.MaxAnchorsPerDocument);
            queryText[d] = new string[anchors[d].Length];
            for (int a = 0; a < anchors[d].Length; a++)
            {
                var (start, end) = Anchors.QueryWindow(anchors[d][a].Position, tokens[d].Length, options.Window);
                start = Math.Max(start, bodyStart);
                queryText[d][a] = scorer.Detokenize(tokens[d].AsSpan(start, end - start));
                queries.Add(new RetrievalQuery(queryText[d][a], documents[d].Id, documents[d].Text));
                queryOwner.Add((d, a));
            }
        }
        var hits = queries.Count == 0 ? [] : retriever.Retrieve(queries, options.TopK, ct);
        var candidates = anchors.Select(a => new long[a.Length][]).ToArray();
        var anchorHits = anchors.Select(a => new IReadOnlyList<RetrievedChunk>[a.Length]).ToArray();
        var chunks = new Dictionary<long, RetrievedChunk>();
        for (int q = 0; q < queryOwner.Count; q++)
        {
            var (d, a) = queryOwner[q];
            anchorHits[d][a] = hits[q];
            candidates[d][a] = hits[q].Select(h => h.Key).ToArray();
            foreach (var h in hits[q]) chunks.TryAdd(h.Key, h);
        }
        var chunkTokens = chunks.ToDictionary(kv => kv.Key, kv => scorer.Tokenize(kv.Value.Text));
        var layout = new VerificationLayout(bodyStart == 1 ? info.BosToken : null, scorer.Tokenize(options.Separator), info.ContextLength);
        var docCandidates = Enumerable.Range(0, documents.Count).Select(d => new DocumentCandidates(tokens[d], bodyStart, anchors[d], candidates[d])).ToArray();
        times.Retrieval += Lap(clock);
        return new PreparedBlock(tokens, entropy, thresholds, anchors, queryText, anchorHits, chunks, chunkTokens, layout, docCandidates, scoringTokens);
    }

    /// <summary>Stages 1-5 over one block. <paramref name="verification"/> hears the fraction of the block's
    /// verification passes done, the bulk of a block's time.</summary>
    public Result Process(IReadOnlyList<Document> documents, CancellationToken ct = default, Action<double>? verification = null)
    {
        var times = new StageTimes();
        var p = Prepare(documents, times, ct);
        var (tokens, entropy, thresholds, anchors, queryText, anchorHits, chunks) = (p.Tokens, p.Entropy, p.Thresholds, p.Anchors, p.Queries, p.Hits, p.Chunks);
        var candidates = p.Candidates.Select(c => c.Candidates).ToArray();
        int bodyStart = p.Layout.Bos is null ? 0 : 1;
        var clock = Stopwatch.StartNew();

        // Stage 4: verification, grouped by chunk (or pair by pair in naive mode).
        var plan = naive ? VerificationPlan.Naive(p.Candidates, p.ChunkTokens, p.Layout) : VerificationPlan.Grouped(p.Candidates, p.ChunkTokens, p.Layout);
        var verdicts = plan.Decide(scorer.Score(plan.Groups, ct, verification is null || plan.Groups.Count == 0 ? null
            : done => verification((double)done / plan.Groups.Count)), options.Epsilon);
        times.Verification += Lap(clock);

        // Stage 5: each verified chunk once per document, ordered, joined before the document.
        var byDoc = verdicts.GroupBy(v => v.Document).ToDictionary(g => g.Key, g => (IReadOnlyList<Verdict>)g.ToList());
        var outcomes = new List<DocumentOutcome>(documents.Count);
        for (int d = 0; d < documents.Count; d++)
        {
            var doc = documents[d];
            var mine = byDoc.GetValueOrDefault(d) ?? [];
            int retrieved = candidates[d].Sum(c => c.Length);
            var pieces = TokenPieces.Of(scorer, tokens[d], bodyStart);
            var detail = new DocumentDetail(pieces, entropy[d], queryText[d], anchorHits[d]);
            if (tokens[d].Length - bodyStart < 2)
            {
                outcomes.Add(new DocumentOutcome(doc, tokens[d].Length, double.NaN, [], [], null, "too_short", 0, detail));
                continue;
            }
            // Where each token starts in the document (clamped: a tokenizer may detokenize to other text, such as a
            // leading space).
            var offsets = TokenPieces.Offsets(pieces);
            // The tail of a character split across tokens has an empty piece: its character starts at the head's.
            int AnchorChar(int position)
            {
                while (position > bodyStart && pieces[position].Length == 0) position--;
                return Math.Min(offsets[position], doc.Text.Length);
            }
            var contexts = mine.Where(v => v.Kept)
                .GroupBy(v => v.Chunk)
                .Select(g => g.OrderByDescending(v => v.Delta).ThenBy(v => v.Anchor).First())
                .Select(v =>
                {
                    var chunk = chunks[v.Chunk];
                    var anchor = anchors[d][v.Anchor];
                    return new VerifiedContext(chunk.ChunkId, chunk.DocumentId, chunk.Text, anchor.Position, AnchorChar(anchor.Position),
                        scorer.Detokenize(tokens[d].AsSpan(anchor.Position, 1)), v.H, v.HPrime, v.Delta);
                }).ToList();
            string? skip = null;
            Sample? sample = null;
            if (contexts.Count == 0 && options.DropUnverified) skip = anchors[d].Length == 0 ? "no_anchor" : "no_verified_chunk";
            else
            {
                sample = SequenceAssembly.Build(doc.Id, doc.Text, SequenceAssembly.Order(contexts, doc.Id, options), trainingTokenize, options);
                if (sample is null) skip = "longer_than_seq_len";
            }
            outcomes.Add(new DocumentOutcome(doc, tokens[d].Length, thresholds[d], anchors[d], mine, sample, skip, retrieved, detail));
        }
        times.Assembly += Lap(clock);
        return new Result(outcomes, p.ScoringTokens, plan.ForwardTokens, plan.NaiveForwardTokens, plan.PairsJudged, plan.PairsUnfit, times);
    }

    private static double Lap(Stopwatch clock)
    {
        double s = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return s;
    }
}
