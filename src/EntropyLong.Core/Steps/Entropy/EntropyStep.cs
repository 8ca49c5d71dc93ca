namespace EntropyLong.Core;

/// <summary>Stage 1: every document tokenized by the scorer and the entropy of each token computed (METHOD.md, stage 1;
/// the formula is <see cref="Entropy.FromLogits(ReadOnlySpan{float}, Span{float})"/>, applied by the engine). Documents
/// longer than the scorer's context are scored in sliding windows (<see cref="SlidingWindow"/>).</summary>
public sealed class EntropyStep(IEntropyModel scorer) : IBuildStep
{
    public string Name => "entropy";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        var docs = block.Active.ToList();
        int bodyStart = scorer.Info.AddsBos && scorer.Info.BosToken is not null ? 1 : 0;
        foreach (var d in docs)
        {
            d.Tokens = scorer.TokenizeWithBos(d.Source.Text);
            d.BodyStart = bodyStart;
        }
        var entropy = Score(scorer, docs.Select(d => d.Tokens).ToList(), cancellationToken);
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            d.Entropy = entropy[i];
            d.Pieces = TokenPieces.Of(scorer, d.Tokens, bodyStart);
            if (d.Tokens.Length >= 2) block.Stats.ScoringForwardTokens += d.Tokens.Length;
            if (d.Tokens.Length - bodyStart < 2) d.Skip("too_short");
        }
    }

    /// <summary>Entropy per position of each token sequence (NaN at 0). Sequences are the documents' tokens with BOS
    /// first when the model uses one; windows after the first get their own BOS so every window starts as the model
    /// was trained to see text start.</summary>
    public static float[][] Score(IEntropyModel model, IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default)
    {
        int? bos = model.Info.AddsBos ? model.Info.BosToken : null;
        int window = model.Info.ContextLength - (bos is null ? 0 : 1);
        var groups = new List<ScoreGroup>();
        var owners = new List<(int Doc, int ScoreFrom, int End)>();
        for (int d = 0; d < sequences.Count; d++)
        {
            var tokens = sequences[d];
            if (tokens.Length < 2) continue;
            if (tokens.Length <= model.Info.ContextLength)
            {
                groups.Add(new ScoreGroup(ReadOnlyMemory<int>.Empty, [new ScoreSequence(tokens, Enumerable.Range(1, tokens.Length - 1).ToArray())]));
                owners.Add((d, 1, tokens.Length));
                continue;
            }
            foreach (var (start, end, from) in SlidingWindow.Plan(tokens.Length, window))
            {
                // Window tokens: [BOS] + tokens[start..end) unless it starts at the document's own BOS.
                bool addBos = bos is int && start > 0;
                int offset = addBos ? 1 - start : -start; // sequence position = document position + offset
                int[] seq = addBos ? [bos!.Value, .. tokens[start..end]] : tokens[start..end];
                var positions = Enumerable.Range(from, end - from).Select(p => p + offset).ToArray();
                groups.Add(new ScoreGroup(ReadOnlyMemory<int>.Empty, [new ScoreSequence(seq, positions)]));
                owners.Add((d, from, end));
            }
        }
        var results = model.Score(groups, cancellationToken);
        var entropy = sequences.Select(s => Enumerable.Repeat(float.NaN, s.Length).ToArray()).ToArray();
        for (int i = 0; i < owners.Count; i++)
        {
            var (d, from, end) = owners[i];
            results[i].AsSpan().CopyTo(entropy[d].AsSpan(from, end - from));
        }
        return entropy;
    }
}
