using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Llm.Training;

/// <summary>Token streams for training and held-out evaluation: every document tokenized by llama.cpp with a leading
/// BOS, documents concatenated in corpus order, the held-out ones chosen by a hash of their id (the project's
/// convention, see data/sample/README.md: stable whatever the corpus order or size), each stream cut into windows
/// of ContextLength+1 tokens (inputs and next tokens).</summary>
public sealed class TrainingData
{
    public int[] Train { get; }
    public int[] HeldOut { get; }
    public int TrainDocuments { get; }
    public int HeldOutDocuments { get; }

    private TrainingData(int[] train, int[] heldOut, int trainDocs, int heldOutDocs)
    {
        Train = train; HeldOut = heldOut; TrainDocuments = trainDocs; HeldOutDocuments = heldOutDocs;
    }

    /// <summary>The held-out convention: SHA-256 of the UTF-8 id, first 8 bytes as a big-endian integer, is 0 modulo
    /// <paramref name="buckets"/> (20: about 5%).</summary>
    public static bool IsHeldOut(string id, int buckets = 20)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)buckets == 0;
    }

    public static TrainingData Build(IEnumerable<Document> documents, LlamaVocabulary tokenizer, int heldOutBuckets = 20)
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
        return new TrainingData(train.ToArray(), heldOut.ToArray(), trainDocs, heldOutDocs);
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
