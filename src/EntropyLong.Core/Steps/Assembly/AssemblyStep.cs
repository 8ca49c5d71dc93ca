namespace EntropyLong.Core;

/// <summary>Stage 5: each verified chunk once per document (at the anchor where it lowered the entropy most), ordered,
/// joined before the whole document and fitted to the target length (<see cref="SequenceAssembly"/>). A document with no
/// verified chunk is ruled out unless options say to keep it. Packing samples into sequences is the writer's
/// (<see cref="Packer"/>), since it spans blocks.</summary>
public sealed class AssemblyStep(IEntropyModel scorer, ITrainingTokenizer tokenizer, EntropyLongOptions options) : IBuildStep
{
    public string Name => "assembly";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            var contexts = VerifiedContexts(d);
            if (contexts.Count == 0 && options.DropUnverified)
            {
                d.Skip(d.Anchors.Length == 0 ? "no_anchor" : "no_verified_chunk");
                continue;
            }
            d.Sample = SequenceAssembly.Build(d.Id, d.Source.Text, SequenceAssembly.Order(contexts, d.Id, options), tokenizer, options);
            if (d.Sample is null) d.Skip("longer_than_seq_len");
        }
    }

    private List<VerifiedContext> VerifiedContexts(BuildDocument d)
    {
        var chunks = new Dictionary<long, RetrievedChunk>();
        foreach (var hits in d.Candidates)
            foreach (var hit in hits ?? []) chunks.TryAdd(hit.Key, hit);
        // Where each token starts in the document (clamped: a tokenizer may detokenize to other text, such as a
        // leading space). The tail of a character split across tokens has an empty piece: its character starts at the
        // head's.
        var offsets = TokenPieces.Offsets(d.Pieces);
        int AnchorChar(int position)
        {
            while (position > d.BodyStart && d.Pieces[position].Length == 0) position--;
            return Math.Min(offsets[position], d.Source.Text.Length);
        }
        return d.Verdicts.Where(v => v.Kept)
            .GroupBy(v => v.Chunk)
            .Select(g => g.OrderByDescending(v => v.Delta).ThenBy(v => v.Anchor).First())
            .Select(v =>
            {
                var chunk = chunks[v.Chunk];
                var anchor = d.Anchors[v.Anchor];
                return new VerifiedContext(chunk.ChunkId, chunk.DocumentId, chunk.Text, anchor.Position, AnchorChar(anchor.Position),
                    scorer.Detokenize(d.Tokens.AsSpan(anchor.Position, 1)), v.H, v.HPrime, v.Delta);
            }).ToList();
    }
}
