namespace EntropyLong.Core;

/// <summary>A verified context of a document: the chunk and the judgement that kept it (the anchor where the chunk
/// lowered entropy most, when it passed at several). <paramref name="AnchorChar"/> is where the anchor token's
/// text starts in the document.</summary>
public sealed record VerifiedContext(string ChunkId, string SourceDocumentId, string Text, int AnchorPosition, int AnchorChar, string AnchorText, float H, float HPrime, double Delta);

/// <summary>Where a context and its anchor lie in the sample's training tokens: [Start, End) holds the context's
/// text, Anchor is the token holding the anchor's first character.</summary>
public readonly record struct ContextSpan(int Start, int End, int Anchor);

/// <summary>One training sample: the contexts in their final order, then the whole document.</summary>
public sealed record Sample(string DocumentId, IReadOnlyList<VerifiedContext> Contexts, string Separator, string Text, int[] Tokens, int ContextsDropped)
{
    /// <summary>One per context, in the same order.</summary>
    public IReadOnlyList<ContextSpan> Spans { get; init; } = [];
}

/// <summary>A packed training sequence: samples back to back, with each sample's [start, end) token range.</summary>
public sealed record PackedSequence(long Index, IReadOnlyList<Sample> Samples, int[] Tokens, (int Start, int End)[] Boundaries)
{
    public string Text => string.Concat(Samples.Select(s => s.Text));
}

/// <summary>Stage 5: order the verified contexts, join them before the document, fit the target length, pack.</summary>
public static class SequenceAssembly
{
    /// <summary>Contexts in the final order: a seeded shuffle (the paper's default), or by anchor position.
    /// The shuffle's seed comes from the run seed and the document id, so it never depends on scheduling.</summary>
    public static IReadOnlyList<VerifiedContext> Order(IReadOnlyList<VerifiedContext> contexts, string documentId, EntropyLongOptions options)
    {
        var ordered = contexts.OrderBy(c => c.AnchorPosition).ThenBy(c => c.ChunkId, StringComparer.Ordinal).ToArray();
        if (options.Order == ContextOrder.Anchor) return ordered;
        var rng = new Random((int)(StableHash.Of(documentId, options.Seed) & 0x7fffffff));
        rng.Shuffle(ordered);
        return ordered;
    }

    /// <summary>[C_1 ; ... ; C_m ; D] joined by the separator, in training-tokenizer tokens. Over the target length,
    /// contexts are dropped from the front, never the document; a document that alone exceeds it gives no sample.</summary>
    /// <param name="tokenize">The training tokenizer, with BOS if it uses one.</param>
    public static Sample? Build(string documentId, string documentText, IReadOnlyList<VerifiedContext> ordered, Func<string, int[]> tokenize, EntropyLongOptions options)
    {
        for (int drop = 0; drop <= ordered.Count; drop++)
        {
            var kept = ordered.Skip(drop).ToArray();
            string text = string.Concat(kept.Select(c => c.Text + options.Separator)) + documentText;
            var tokens = tokenize(text);
            if (tokens.Length <= options.SeqLen)
                return new Sample(documentId, kept, options.Separator, text, tokens, drop) { Spans = Spans(kept, options.Separator, text, tokens, tokenize) };
        }
        return null;
    }

    /// <summary>Token positions of each context and its anchor in the sample. The token holding character c is found
    /// by tokenizing text[..c]: the tokens it shares with the whole sample's tokens are exactly those before c (or
    /// before the token that c falls inside), so the count is exact wherever the tokenizer is prefix-consistent,
    /// which byte-level BPE is at the separator and word boundaries these offsets sit on.</summary>
    private static ContextSpan[] Spans(IReadOnlyList<VerifiedContext> kept, string separator, string text, int[] tokens, Func<string, int[]> tokenize)
    {
        int TokenAt(int c) => c >= text.Length ? tokens.Length : tokens.AsSpan().CommonPrefixLength(tokenize(text[..c]));
        var spans = new ContextSpan[kept.Count];
        int at = 0;
        int documentStart = kept.Sum(c => c.Text.Length + separator.Length);
        for (int i = 0; i < kept.Count; i++)
        {
            int end = at + kept[i].Text.Length;
            spans[i] = new ContextSpan(TokenAt(at), TokenAt(end), TokenAt(documentStart + kept[i].AnchorChar));
            at = end + separator.Length;
        }
        return spans;
    }

    /// <summary>Packs samples in order, several to a sequence while they fit the target length (like ProLong's packer).</summary>
    public sealed class Packer(int seqLen, long firstIndex = 0)
    {
        private readonly List<Sample> _pending = new();
        private int _tokens;
        private long _next = firstIndex;

        /// <summary>Adds a sample; returns the sequence it closed, if it did not fit the open one.</summary>
        public PackedSequence? Add(Sample sample)
        {
            PackedSequence? closed = null;
            if (_tokens + sample.Tokens.Length > seqLen && _pending.Count > 0) closed = Flush();
            _pending.Add(sample);
            _tokens += sample.Tokens.Length;
            return closed;
        }

        /// <summary>The open sequence, if any (at the end of the stream).</summary>
        public PackedSequence? Flush()
        {
            if (_pending.Count == 0) return null;
            var tokens = new int[_tokens];
            var bounds = new (int, int)[_pending.Count];
            int at = 0;
            for (int i = 0; i < _pending.Count; i++)
            {
                _pending[i].Tokens.CopyTo(tokens, at);
                bounds[i] = (at, at + _pending[i].Tokens.Length);
                at += _pending[i].Tokens.Length;
            }
            var seq = new PackedSequence(_next++, _pending.ToArray(), tokens, bounds);
            _pending.Clear();
            _tokens = 0;
            return seq;
        }
    }
}
