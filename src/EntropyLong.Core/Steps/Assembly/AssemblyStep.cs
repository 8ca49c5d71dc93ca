namespace EntropyLong.Core;

/// <summary>Stage 5: each verified chunk once per document (at the anchor where it lowered the entropy most), ordered,
/// joined before the whole document and fitted to the target length (<see cref="SequenceAssembly"/>). A document with no
/// verified chunk is ruled out unless options say to keep it. With hard negatives asked for, chunks that failed
/// verification join the verified ones, marked as negatives. Packing samples into sequences is the writer's
/// (<see cref="Packer"/>), since it spans blocks.</summary>
public sealed class AssemblyStep(IEntropyModel scorer, ITrainingTokenizer tokenizer, EntropyLongOptions options) : IBuildStep
{
    public string Name => "assembly";

    public void Run(BuildBlock block, CancellationToken cancellationToken)
    {
        foreach (var d in block.Active)
        {
            var contexts = new DocumentContexts(d, scorer);
            var verified = contexts.Verified();
            if (verified.Count == 0 && options.DropUnverified)
            {
                d.Skip(d.Anchors.Length == 0 ? "no_anchor" : "no_verified_chunk");
                continue;
            }
            IReadOnlyList<SampleContext> placed = options.HardNegatives > 0 ? [.. verified, .. contexts.HardNegatives(options.HardNegatives)] : verified;
            d.Sample = SequenceAssembly.Build(d.Id, d.Source.Text, SequenceAssembly.Order(placed, d.Id, options), tokenizer, options);
            if (d.Sample is null) d.Skip("longer_than_seq_len");
        }
    }

    /// <summary>A document's judged chunks as contexts.</summary>
    private sealed class DocumentContexts
    {
        private readonly BuildDocument _d;
        private readonly IEntropyModel _scorer;
        private readonly Dictionary<long, RetrievedChunk> _chunks = new();
        private readonly int[] _offsets;

        public DocumentContexts(BuildDocument d, IEntropyModel scorer)
        {
            (_d, _scorer) = (d, scorer);
            // The first hit of a chunk: its best retrieval score (hits come best first).
            foreach (var hits in d.Candidates)
                foreach (var hit in hits ?? []) _chunks.TryAdd(hit.Key, hit);
            _offsets = TokenPieces.Offsets(d.Pieces);
        }

        /// <summary>Each kept chunk once, at the verdict where it lowered the entropy most.</summary>
        public List<SampleContext> Verified() =>
            _d.Verdicts.Where(v => v.Kept).GroupBy(v => v.Chunk).Select(g => Context(Best(g), ContextKind.Verified)).ToList();

        /// <summary>Up to <paramref name="count"/> chunks judged for the document and kept at none of its anchors, the
        /// closest to an anchor's query first (highest retrieval score, then chunk id), each at its best failed verdict.</summary>
        public IEnumerable<SampleContext> HardNegatives(int count)
        {
            var kept = _d.Verdicts.Where(v => v.Kept).Select(v => v.Chunk).ToHashSet();
            var score = new Dictionary<long, float>();
            foreach (var hit in _d.Candidates.SelectMany(hits => hits ?? []))
                score[hit.Key] = Math.Max(score.GetValueOrDefault(hit.Key, float.NegativeInfinity), hit.Score);
            return _d.Verdicts.Where(v => !kept.Contains(v.Chunk)).GroupBy(v => v.Chunk)
                .OrderByDescending(g => score[g.Key]).ThenBy(g => _chunks[g.Key].ChunkId, StringComparer.Ordinal)
                .Take(count)
                .Select(g => Context(Best(g), ContextKind.Negative));
        }

        private static Verdict Best(IEnumerable<Verdict> verdicts) => verdicts.OrderByDescending(v => v.Delta).ThenBy(v => v.Anchor).First();

        private SampleContext Context(Verdict v, ContextKind kind)
        {
            var chunk = _chunks[v.Chunk];
            var anchor = _d.Anchors[v.Anchor];
            return new SampleContext(chunk.ChunkId, chunk.DocumentId, chunk.Text, anchor.Position, AnchorChar(anchor.Position),
                _scorer.Detokenize(_d.Tokens.AsSpan(anchor.Position, 1)), v.H, v.HPrime, v.Delta) { Kind = kind };
        }

        // Where a token starts in the document (clamped: a tokenizer may detokenize to other text, such as a leading
        // space). The tail of a character split across tokens has an empty piece: its character starts at the head's.
        private int AnchorChar(int position)
        {
            while (position > _d.BodyStart && _d.Pieces[position].Length == 0) position--;
            return Math.Min(_offsets[position], _d.Source.Text.Length);
        }
    }
}
