namespace EntropyLong.Core;

/// <summary>What a context is to its document: a verified dependency; a hard negative (judged, failed verification); a
/// retrieved chunk placed without judging (the `retrieval` baseline); a distractor interleaved with the document (the
/// `nextlong` baseline).</summary>
public enum ContextKind { Verified, Negative, Retrieved, Distractor }

/// <summary>A context placed before a document: the chunk and its judgement (for a verified context the anchor where the
/// chunk lowered entropy most, when it passed at several; for a negative its best failed one).
/// <paramref name="AnchorChar"/> is where the anchor token's text starts in the document; a context retrieved for no
/// anchor (a distractor) has AnchorPosition and AnchorChar -1. Unjudged contexts have NaN H' and dI.</summary>
public sealed record SampleContext(string ChunkId, string SourceDocumentId, string Text, int AnchorPosition, int AnchorChar, string AnchorText, float H, float HPrime, double Delta)
{
    public ContextKind Kind { get; init; } = ContextKind.Verified;
}

/// <summary>Where a context and its anchor lie in the sample's training tokens: [Start, End) holds the context's
/// text, Anchor is the token holding the anchor's first character.</summary>
public readonly record struct ContextSpan(int Start, int End, int Anchor);

/// <summary>One training sample: the contexts in their final order, then the whole document (or, for `nextlong`, the
/// document's pieces with contexts between them); <paramref name="Dropped"/> are the contexts dropped from the front to
/// fit the target length.</summary>
public sealed record Sample(string DocumentId, IReadOnlyList<SampleContext> Contexts, string Separator, string Text, int[] Tokens, IReadOnlyList<SampleContext> Dropped)
{
    public int ContextsDropped => Dropped.Count;
    /// <summary>Where each context starts in <see cref="Text"/> (characters), in the same order.</summary>
    public IReadOnlyList<int> ContextStarts { get; init; } = [];
    /// <summary>One per context, in the same order.</summary>
    public IReadOnlyList<ContextSpan> Spans { get; init; } = [];
}

/// <summary>A packed training sequence: samples back to back, with each sample's [start, end) token range.</summary>
public sealed record PackedSequence(long Index, IReadOnlyList<Sample> Samples, int[] Tokens, (int Start, int End)[] Boundaries)
{
    /// <summary>The trainer's attention spans (MDS <c>indices</c>): one per sample, or one for the whole sequence when
    /// its samples are plain concatenation (the `random` baseline), so attention crosses them.</summary>
    public (int Start, int End)[] Spans { get; init; } = Boundaries;

    public string Text => string.Concat(Samples.Select(s => s.Text));
}

/// <summary>Stage 5: order the verified contexts, join them before the document, fit the target length, pack.</summary>
public static class SequenceAssembly
{
    /// <summary>Contexts in the final order: a seeded shuffle (the paper's default), or by anchor position; hard
    /// negatives are ordered with the verified contexts, so nothing but their kind tells them apart.
    /// The shuffle's seed comes from the run seed and the document id, so it never depends on scheduling.</summary>
    public static IReadOnlyList<SampleContext> Order(IReadOnlyList<SampleContext> contexts, string documentId, EntropyLongOptions options)
    {
        var ordered = contexts.OrderBy(c => c.AnchorPosition).ThenBy(c => c.ChunkId, StringComparer.Ordinal).ToArray();
        if (options.Order == ContextOrder.Anchor) return ordered;
        var rng = new Random((int)(StableHash.Of(documentId, options.Seed) & 0x7fffffff));
        rng.Shuffle(ordered);
        return ordered;
    }

    /// <summary>[C_1 ; ... ; C_m ; D] joined by the separator, in training-tokenizer tokens. Over the target length,
    /// contexts are dropped from the front, never the document; a document that alone exceeds it gives no sample.
    /// The sample is tokenized once; when it is too long, the token counts of the shorter candidates are read off that
    /// one encoding (<see cref="TokenLayout"/>), and only the one that fits is tokenized again.</summary>
    public static Sample? Build(string documentId, string documentText, IReadOnlyList<SampleContext> ordered, ITrainingTokenizer tokenizer, EntropyLongOptions options)
    {
        string Text(int drop) => string.Concat(ordered.Skip(drop).Select(c => c.Text + options.Separator)) + documentText;
        string text = Text(0);
        var tokens = tokenizer.Encode(text);
        var layout = TokenLayout.Of(text, tokens, tokenizer);
        int drop = 0;
        while (tokens.Length > options.SeqLen)
        {
            if (++drop > ordered.Count) return null;
            int start = ordered.Take(drop).Sum(c => c.Text.Length + options.Separator.Length);
            if (layout is not null && layout.SuffixTokenCount(text, start) > options.SeqLen) continue;
            tokens = tokenizer.Encode(Text(drop));
        }
        var kept = ordered.Skip(drop).ToArray();
        string sampleText = drop == 0 ? text : Text(drop);
        var sampleLayout = drop == 0 ? layout : TokenLayout.Of(sampleText, tokens, tokenizer);
        var starts = new int[kept.Length];
        for (int i = 1; i < kept.Length; i++) starts[i] = starts[i - 1] + kept[i - 1].Text.Length + options.Separator.Length;
        int documentStart = sampleText.Length - documentText.Length;
        return new Sample(documentId, kept, options.Separator, sampleText, tokens, ordered.Take(drop).ToArray())
        {
            ContextStarts = starts,
            Spans = Spans(kept, starts, kept.Select(c => c.AnchorChar < 0 ? -1 : documentStart + c.AnchorChar).ToArray(), sampleText, tokens, sampleLayout, tokenizer),
        };
    }

    /// <summary>A sample whose text is already laid out (`nextlong` interleaves contexts with the document's pieces):
    /// <paramref name="starts"/> are the contexts' first characters, <paramref name="anchors"/> their anchors' (-1: none).
    /// Null when it exceeds the target length.</summary>
    public static Sample? Laid(string documentId, string text, IReadOnlyList<SampleContext> contexts, IReadOnlyList<int> starts, IReadOnlyList<int> anchors,
        ITrainingTokenizer tokenizer, EntropyLongOptions options)
    {
        var tokens = tokenizer.Encode(text);
        if (tokens.Length > options.SeqLen) return null;
        return new Sample(documentId, contexts, options.Separator, text, tokens, [])
        {
            ContextStarts = starts,
            Spans = Spans(contexts, starts, anchors, text, tokens, TokenLayout.Of(text, tokens, tokenizer), tokenizer),
        };
    }

    /// <summary>Token positions of each context and its anchor in the sample: the token holding character c is the first
    /// one that does not end before c. Read off the token byte counts when they add up to the text; otherwise (a
    /// tokenizer that is not byte-level) found by tokenizing text[..c] and counting the tokens it shares with the whole
    /// sample's, which is exact wherever the tokenizer is prefix-consistent, as at the separators these offsets sit on.</summary>
    private static ContextSpan[] Spans(IReadOnlyList<SampleContext> kept, IReadOnlyList<int> starts, IReadOnlyList<int> anchors, string text, int[] tokens,
        TokenLayout? layout, ITrainingTokenizer tokenizer)
    {
        int TokenAt(int c) => c >= text.Length ? tokens.Length
            : layout?.TokensEndingBy(text, c) ?? tokens.AsSpan().CommonPrefixLength(tokenizer.Encode(text[..c]));
        var spans = new ContextSpan[kept.Count];
        for (int i = 0; i < kept.Count; i++)
            spans[i] = new ContextSpan(TokenAt(starts[i]), TokenAt(starts[i] + kept[i].Text.Length), anchors[i] < 0 ? -1 : TokenAt(anchors[i]));
        return spans;
    }
}

/// <summary>Where each token of an encoding ends, in UTF-8 bytes of the text, for byte-level tokenizers (whose tokens'
/// bytes add up to the text).</summary>
public sealed class TokenLayout
{
    private readonly int[] _ends;

    private TokenLayout(int[] ends) => _ends = ends;

    /// <summary>The layout of <paramref name="tokens"/> over <paramref name="text"/>, or null when the tokens' byte counts
    /// do not add up to the text's.</summary>
    public static TokenLayout? Of(string text, int[] tokens, ITrainingTokenizer tokenizer)
    {
        var ends = new int[tokens.Length];
        int at = 0;
        for (int i = 0; i < tokens.Length; i++) ends[i] = at += tokenizer.ByteCount(tokens[i]);
        return at == System.Text.Encoding.UTF8.GetByteCount(text) ? new TokenLayout(ends) : null;
    }

    /// <summary>Tokens that end at or before character <paramref name="c"/> of <paramref name="text"/>.</summary>
    public int TokensEndingBy(string text, int c)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, c));
        int i = Array.BinarySearch(_ends, bytes);
        if (i < 0) return ~i;
        while (i + 1 < _ends.Length && _ends[i + 1] == bytes) i++; // zero-byte tokens (BOS) at the same place
        return i + 1;
    }

    /// <summary>How many tokens the text from character <paramref name="c"/> on would take: the leading zero-byte
    /// tokens (BOS) and every token that starts at or after c.</summary>
    public int SuffixTokenCount(string text, int c)
    {
        int leading = 0;
        while (leading < _ends.Length && _ends[leading] == 0) leading++;
        return leading + _ends.Length - TokensEndingBy(text, c);
    }
}
