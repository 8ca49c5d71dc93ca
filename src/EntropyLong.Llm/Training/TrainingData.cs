using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Llm.Training;

/// <summary>A packed sequence of a build (an MDS sample or a sequences.jsonl line): its tokens and the [start, end)
/// token range of each sample packed in it.</summary>
public sealed record TokenSequence(long Index, int[] Tokens, (int Start, int End)[] Spans);

/// <summary>Token streams for training and held-out evaluation, cut into windows of ContextLength+1 tokens (inputs
/// and next tokens).
/// <para>From a corpus (<see cref="Build"/>): every document tokenized by llama.cpp with a leading BOS, documents
/// concatenated in corpus order, the held-out ones chosen by a hash of their id (the project's convention, see
/// data/sample/README.md: stable whatever the corpus order or size), each stream cut into consecutive windows.</para>
/// <para>From a build's packed sequences (<see cref="FromSequences"/>): windows never cross a sequence, and every
/// token carries the index of its span within the sequence (its segment), for document masking.</para></summary>
public sealed class TrainingData
{
    public int[] Train { get; }
    public int[] HeldOut { get; }
    /// <summary>Documents (corpus) or sequences (build) in each part.</summary>
    public int TrainDocuments { get; }
    public int HeldOutDocuments { get; }
    /// <summary>From sequences: the segment of every token of <see cref="Train"/> and <see cref="HeldOut"/> (below 0:
    /// padding); null for a corpus.</summary>
    public int[]? TrainSegments { get; }
    public int[]? HeldOutSegments { get; }
    /// <summary>From sequences: the window length the streams were cut for (ContextLength+1); null for a corpus,
    /// whose streams are cut at any length.</summary>
    public int? WindowLength { get; }
    /// <summary>From sequences: spans (packed samples) that did not fit one window and were cut across windows.</summary>
    public int SpansCut { get; }
    public int Spans { get; }
    /// <summary>Where the data was read from (corpus files, a build folder), for the errors about it; null if not said.</summary>
    public string? Source { get; }

    private TrainingData(string? source, int[] train, int[] heldOut, int trainDocs, int heldOutDocs,
        int[]? trainSegments = null, int[]? heldOutSegments = null, int? windowLength = null, int spans = 0, int spansCut = 0)
    {
        Source = source; Train = train; HeldOut = heldOut; TrainDocuments = trainDocs; HeldOutDocuments = heldOutDocs;
        TrainSegments = trainSegments; HeldOutSegments = heldOutSegments; WindowLength = windowLength; Spans = spans; SpansCut = spansCut;
    }

    /// <summary>The held-out convention: SHA-256 of the UTF-8 id, first 8 bytes as a big-endian integer, is 0 modulo
    /// <paramref name="buckets"/> (20: about 5%).</summary>
    public static bool IsHeldOut(string id, int buckets = 20)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)buckets == 0;
    }

    public static TrainingData Build(IEnumerable<Document> documents, LlamaVocabulary tokenizer, int heldOutBuckets = 20, string? source = null)
    {
        var train = new List<int>();
        var heldOut = new List<int>();
        int trainDocs = 0, heldOutDocs = 0;
        foreach (var d in documents)
        {
            bool held = IsHeldOut(d.Id, heldOutBuckets);
            var target = held ? heldOut : train;
            target.Add(tokenizer.Bos ?? throw new InvalidOperationException("the vocabulary has no BOS token"));
            target.AddRange(tokenizer.Tokenize(d.Text));
            if (held) heldOutDocs++; else trainDocs++;
        }
        return new TrainingData(source, train.ToArray(), heldOut.ToArray(), trainDocs, heldOutDocs);
    }

    /// <summary>Windows of <paramref name="contextLength"/>+1 tokens from packed sequences, held out by sequence: a
    /// sequence is held out when <see cref="IsHeldOut"/> holds for its index in decimal (MDS samples carry no
    /// document ids; the index is the same in mds/ and sequences.jsonl). See <see cref="Cut"/> for the windows.</summary>
    public static TrainingData FromSequences(IEnumerable<TokenSequence> sequences, int contextLength, int heldOutBuckets = 20, string? source = null)
    {
        var train = (Tokens: new List<int>(), Segments: new List<int>());
        var heldOut = (Tokens: new List<int>(), Segments: new List<int>());
        int trainSeqs = 0, heldOutSeqs = 0, spans = 0, spansCut = 0;
        foreach (var seq in sequences)
        {
            bool held = IsHeldOut(seq.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), heldOutBuckets);
            var target = held ? heldOut : train;
            spansCut += Cut(seq.Tokens, seq.Spans, contextLength, target.Tokens, target.Segments);
            spans += seq.Spans.Length;
            if (held) heldOutSeqs++; else trainSeqs++;
        }
        return new TrainingData(source, train.Tokens.ToArray(), heldOut.Tokens.ToArray(), trainSeqs, heldOutSeqs,
            train.Segments.ToArray(), heldOut.Segments.ToArray(), contextLength + 1, spans, spansCut);
    }

    /// <summary>Appends the windows of one sequence: the tokens of its spans in order (tokens outside every span are
    /// dropped), each tagged with its span's number; windows of <paramref name="contextLength"/>+1 tokens starting
    /// every <paramref name="contextLength"/> tokens, so consecutive windows share one token and every token but the
    /// first is a target once; the last window padded (token 0, segment -1); windows in which no position counts
    /// (<see cref="LlamaTrainer.CountedPositions"/>) left out. Spans must be in order and not overlap. Returns how
    /// many spans were cut across windows.</summary>
    public static int Cut(ReadOnlySpan<int> tokens, ReadOnlySpan<(int Start, int End)> spans, int contextLength, List<int> windowTokens, List<int> windowSegments)
    {
        var kept = new List<int>(tokens.Length);
        var segment = new List<int>(tokens.Length);
        int cut = 0, previousEnd = 0;
        for (int k = 0; k < spans.Length; k++)
        {
            var (start, end) = spans[k];
            if (start < previousEnd || end <= start || end > tokens.Length)
                throw new ArgumentException($"span {k} [{start}, {end}) is empty, out of order, overlapping or beyond the {tokens.Length} tokens");
            previousEnd = end;
            // A span lies whole in the window starting at or before its first token, or is cut.
            int first = kept.Count, last = kept.Count + end - start - 1;
            if (last > first / contextLength * contextLength + contextLength) cut++;
            for (int i = start; i < end; i++) { kept.Add(tokens[i]); segment.Add(k); }
        }
        int window = contextLength + 1;
        Span<int> segs = window <= 4096 ? stackalloc int[window] : new int[window];
        for (int at = 0; at < kept.Count - 1; at += contextLength)
        {
            for (int i = 0; i < window; i++) segs[i] = at + i < kept.Count ? segment[at + i] : -1;
            if (LlamaTrainer.CountedPositions(segs) == 0) continue;
            for (int i = 0; i < window; i++) windowTokens.Add(at + i < kept.Count ? kept[at + i] : 0);
            foreach (int sg in segs) windowSegments.Add(sg);
        }
        return cut;
    }

    /// <summary>The runs of one segment each in a window, padding left out: what document masking lets each token see,
    /// so scoring every run alone from position 0 gives the masked loss (RoPE depends only on distances).</summary>
    public static List<int[]> SegmentRuns(ReadOnlySpan<int> tokens, ReadOnlySpan<int> segments)
    {
        var runs = new List<int[]>();
        for (int start = 0; start < tokens.Length;)
        {
            int end = start + 1;
            while (end < tokens.Length && segments[end] == segments[start]) end++;
            if (segments[start] >= 0) runs.Add(tokens[start..end].ToArray());
            start = end;
        }
        return runs;
    }

    /// <summary>Non-overlapping windows of <paramref name="length"/> tokens that fit in <paramref name="stream"/>.</summary>
    public static int WindowCount(int[] stream, int length) => stream.Length / length;

    public static ReadOnlySpan<int> Window(int[] stream, int length, int index) => stream.AsSpan(index * length, length);

    /// <summary>The order of training windows in epoch <paramref name="epoch"/>: a seeded shuffle, so any step's
    /// data follows from (seed, step) alone and a resumed run reads what the uninterrupted one would have.</summary>
    public static int[] EpochOrder(int windows, int seed, int epoch)
    {
        var order = Enumerable.Range(0, windows).ToArray();
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order); // System.Random(int) is stable across runs
        return order;
    }

    /// <summary>Writes one span of random tokens 2 to 8 times into <paramref name="window"/>: 8 to 64 tokens, each
    /// drawn from <paramref name="pool"/> (the training stream, so the tokens follow its unigram distribution), one
    /// copy at a random place in each of as many equal stretches of the window. A small model soon knows a small
    /// corpus by heart, so text that repeats in it can be predicted from memory and teaches nothing about reading the
    /// context; a random span can only be predicted again by copying it (induction).</summary>
    public static void RepeatSpan(Span<int> window, ReadOnlySpan<int> pool, Random rng)
    {
        if (pool.IsEmpty || window.Length < 4) return;
        int copies = rng.Next(2, 9);
        int stretch = window.Length / copies;
        if (stretch < 2) { copies = 2; stretch = window.Length / 2; }
        int length = rng.Next(Math.Min(8, stretch), Math.Min(64, stretch) + 1);
        Span<int> span = stackalloc int[length];
        for (int i = 0; i < length; i++) span[i] = pool[rng.Next(pool.Length)];
        for (int c = 0; c < copies; c++) span.CopyTo(window.Slice(c * stretch + rng.Next(stretch - length + 1), length));
    }

    /// <summary>The generator for training window number <paramref name="global"/> of a run: it follows from (seed,
    /// window) alone, so a resumed run augments exactly as the uninterrupted one.</summary>
    public static Random WindowRandom(int seed, long global) => new(unchecked((int)(seed * 1_000_003L ^ global * 2_654_435_761L)));
}
