using EntropyLong.Core;
using EntropyLong.Llm;
using EntropyLong.TestSupport;

namespace EntropyLong.Llm.Tests;

public class LlamaEngineTests
{
    private static LlamaEngine Load(bool exact = true, int batch = 512, int maxSeq = 8) =>
        LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = exact, Threads = 2, BatchSize = batch, MicroBatchSize = batch, MaxSequences = maxSeq });

    private static void AssertClose(double expected, double actual, double tolerance = 1e-4) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}, got {actual}");

    private static ScoreGroup Full(int[] tokens) =>
        new(ReadOnlyMemory<int>.Empty, [new ScoreSequence(tokens, Enumerable.Range(1, tokens.Length - 1).ToArray())]);

    [Fact]
    public void ReportsWhatItLoaded()
    {
        using var engine = Load();
        var (_, model) = TinyModels.Get();
        Assert.Equal(model.Config.VocabSize, engine.Info.VocabSize);
        Assert.Equal(model.Config.ContextLength, engine.Info.ContextLength);
        Assert.Equal("llama", engine.Info.Architecture);
        Assert.Equal(model.Vocabulary.Bos, engine.Info.BosToken);
        Assert.True(engine.Info.AddsBos);
    }

    [Fact]
    public void ExactModeMatchesFloat64ReferenceForwardPass()
    {
        using var engine = Load(exact: true);
        var (_, model) = TinyModels.Get();
        var tokens = engine.TokenizeWithBos(TinyModels.Texts[1] + " " + TinyModels.Texts[6]);
        Assert.True(tokens.Length > 40);
        var got = engine.Score([Full(tokens)])[0];
        var want = ReferenceForward.Entropies(model, tokens);
        double worst = 0;
        for (int p = 1; p < tokens.Length; p++) worst = Math.Max(worst, Math.Abs(got[p - 1] - want[p]));
        Assert.True(worst < 1e-4, $"largest deviation {worst}");
    }

    [Fact]
    public void VocabularyOnlyLoadTokenizesLikeTheFullModel()
    {
        using var engine = Load();
        using var vocabulary = LlamaVocabulary.Load(TinyModels.Get().Path);
        Assert.Equal(engine.Info.VocabSize, vocabulary.Count);
        foreach (var text in TinyModels.Texts) Assert.Equal(engine.TokenizeWithBos(text), vocabulary.TokenizeWithBos(text));
    }

    [Fact]
    public void TokenizerRoundTripsUtf8()
    {
        using var engine = Load();
        foreach (var text in TinyModels.Texts.Append("tabs\tand\nnewlines  and  spaces, 🦙🦙 and \u00e9\u0301"))
            Assert.Equal(text, engine.Detokenize(engine.Tokenize(text)));
    }

    [Fact]
    public void BatchedSequencesEqualOneAtATime()
    {
        using var engine = Load();
        var seqs = TinyModels.Texts.Select(t => engine.TokenizeWithBos(t)).ToArray();
        var together = engine.Score(seqs.Select(Full).ToArray());
        for (int i = 0; i < seqs.Length; i++)
        {
            var alone = engine.Score([Full(seqs[i])])[0];
            for (int j = 0; j < alone.Length; j++) AssertClose(alone[j], together[i][j]);
        }
    }

    /// <summary>Batching changes no entropy: small decodes, few sequence slots, and decodes smaller than the slots
    /// (llama.cpp aborted the process when a decode held fewer tokens than there were slots, as `score --batch 16` with
    /// 32 did; the engine now uses fewer slots).</summary>
    [Theory]
    [InlineData(7, 2)]
    [InlineData(5, 32)]
    public void SmallBatchesAndFewSequenceSlotsGiveTheSameEntropies(int batch, int maxSeq)
    {
        using var wide = Load();
        using var narrow = Load(batch: batch, maxSeq: maxSeq);
        var seqs = TinyModels.Texts.Select(t => wide.TokenizeWithBos(t)).ToArray();
        var a = wide.Score(seqs.Select(Full).ToArray());
        var b = narrow.Score(seqs.Select(Full).ToArray());
        for (int i = 0; i < seqs.Length; i++)
            for (int j = 0; j < a[i].Length; j++) AssertClose(a[i][j], b[i][j]);
    }

    [Fact]
    public void OneSequenceSlotStillScoresPlainAndSharedPrefixGroups()
    {
        using var wide = Load();
        using var narrow = Load(maxSeq: 1);
        var prefix = wide.TokenizeWithBos(TinyModels.Texts[0]);
        var tail = wide.Tokenize(" " + TinyModels.Texts[2]);
        ScoreGroup[] groups =
        [
            Full(wide.TokenizeWithBos(TinyModels.Texts[1])),
            new(prefix, [new ScoreSequence(tail, [prefix.Length, prefix.Length + 2]), new ScoreSequence(tail[..5], [prefix.Length + 4])]),
            new(ReadOnlyMemory<int>.Empty, []),
        ];
        var a = wide.Score(groups);
        var b = narrow.Score(groups);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < a[i].Length; j++) AssertClose(a[i][j], b[i][j]);
    }

    [Fact]
    public void LogitsOnlyAtAnchorsEqualTheFullPass()
    {
        using var engine = Load();
        var tokens = engine.TokenizeWithBos(TinyModels.Texts[3]);
        var full = engine.Score([Full(tokens)])[0];
        int[] picked = [1, 5, 9, tokens.Length - 1];
        var sparse = engine.Score([new ScoreGroup(ReadOnlyMemory<int>.Empty, [new ScoreSequence(tokens, picked)])])[0];
        for (int i = 0; i < picked.Length; i++) AssertClose(full[picked[i] - 1], sparse[i]);
    }

    [Fact]
    public void SharedPrefixEqualsWholeSequences()
    {
        using var engine = Load();
        var prefix = engine.TokenizeWithBos(TinyModels.Texts[0]);
        var groups = new List<ScoreGroup>();
        var whole = new List<ScoreGroup>();
        var seqs = new List<ScoreSequence>();
        foreach (var text in TinyModels.Texts.Skip(1).Take(4))
        {
            var t = engine.Tokenize(" " + text);
            int[] positions = [prefix.Length, prefix.Length + 3, prefix.Length + t.Length - 1];
            seqs.Add(new ScoreSequence(t, positions));
            whole.Add(new ScoreGroup(ReadOnlyMemory<int>.Empty, [new ScoreSequence(prefix.Concat(t).ToArray(), positions)]));
        }
        groups.Add(new ScoreGroup(prefix, seqs));
        var shared = engine.Score(groups);
        var separate = engine.Score(whole);
        for (int i = 0; i < shared.Length; i++)
            for (int j = 0; j < shared[i].Length; j++) AssertClose(separate[i][j], shared[i][j]);
    }

    [Fact]
    public void CopyWeightMixesTheSequencesOwnHistoryIncludingASharedPrefix()
    {
        const float weight = 0.4f;
        using var engine = LlamaEngine.Load(TinyModels.Get().Path, new LlamaSettings { Exact = true, Threads = 2, CopyWeight = weight });
        var (_, model) = TinyModels.Get();
        // The prefix repeats text the sequence goes on to use, so the copy distribution has matches to read.
        var prefix = engine.TokenizeWithBos(TinyModels.Texts[2] + " " + TinyModels.Texts[4]);
        var tokens = engine.Tokenize(" " + TinyModels.Texts[4]);
        var whole = prefix.Concat(tokens).ToArray();
        int[] positions = [3, prefix.Length + 1, prefix.Length + 4, whole.Length - 1];
        var shared = engine.Score([new ScoreGroup(prefix, [new ScoreSequence(tokens, positions)])])[0];

        var logits = ReferenceForward.Logits(model, whole);
        var mixture = new CopyMixture(weight);
        var scratch = new float[2 * engine.Info.VocabSize];
        bool lowered = false;
        for (int i = 0; i < positions.Length; i++)
        {
            var row = logits[positions[i] - 1].Select(x => (float)x).ToArray();
            double want = mixture.Entropy(row, whole.AsSpan(0, positions[i]), scratch);
            AssertClose(want, shared[i]);
            lowered |= want < ReferenceForward.Entropy(logits[positions[i] - 1]) - 0.1;
        }
        Assert.True(lowered, "the repeated text should be easier to predict with the copy distribution");
    }

    [Fact]
    public void DefaultModeStaysCloseToExactMode()
    {
        using var exact = Load(exact: true);
        using var fast = Load(exact: false);
        var tokens = exact.TokenizeWithBos(string.Join(" ", TinyModels.Texts))[..exact.Info.ContextLength];
        var a = exact.Score([Full(tokens)])[0];
        var b = fast.Score([Full(tokens)])[0];
        double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 0.1, $"default mode deviates by {worst} nats");
    }

    [Fact]
    public void RejectsSequencesLongerThanTheContext()
    {
        using var engine = Load();
        var tokens = Enumerable.Repeat(5, engine.Info.ContextLength + 1).ToArray();
        Assert.Throws<ArgumentException>(() => engine.Score([Full(tokens)]));
    }

    [Fact]
    public void MissingOrForeignModelFilesGiveClearErrors()
    {
        var missing = Assert.Throws<UserInputException>(() => LlamaEngine.Load("/nonexistent/model.gguf"));
        Assert.Contains("not found", missing.Message);
        string fake = Scratch.NewPath("foreign", ".gguf");
        File.WriteAllText(fake, "{\"not\": \"a model\"}");
        var foreign = Assert.Throws<UserInputException>(() => LlamaEngine.Load(fake));
        Assert.Contains("not a GGUF", foreign.Message);
        File.WriteAllBytes(fake, "GGUF\u0003\0\0\0garbage"u8.ToArray());
        var broken = Assert.Throws<UserInputException>(() => LlamaEngine.Load(fake));
        Assert.Contains(fake, broken.Message);
    }
}
