using System.Text;
using EntropyLong.Core;
using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using EntropyLong.TestSupport;

namespace EntropyLong.Llm.Tests;

public class TrainingTests
{
    private static readonly BpeVocabulary Vocab = ByteLevelBpe.Train(TinyModels.Texts, 320);

    // Documents of two texts each, a quarter held out (4 buckets) so the tiny corpus has held-out windows.
    private static TrainingData Data()
    {
        var docs = Enumerable.Range(0, 48).Select(i => new Document($"doc-{i}",
            TinyModels.Texts[i % TinyModels.Texts.Length] + " " + TinyModels.Texts[(i * 3 + 1) % TinyModels.Texts.Length], "test"));
        using var tokenizer = LlamaVocabulary.For(Vocab);
        return TrainingData.Build(docs, tokenizer, heldOutBuckets: 4);
    }

    private static readonly LlamaConfig Config = new(Vocab.Tokens.Length, 32, 2, 4, 2, 64, 32);

    // A build's output in miniature: the same documents (BOS first, as a build's training tokenizer writes them)
    // packed three to a sequence, a quarter of the sequences held out.
    private static TrainingData Sequences(int contextLength = 32)
    {
        using var tokenizer = LlamaVocabulary.For(Vocab);
        var docs = Enumerable.Range(0, 48).Select(i => tokenizer.TokenizeWithBos(
            TinyModels.Texts[i % TinyModels.Texts.Length] + " " + TinyModels.Texts[(i * 3 + 1) % TinyModels.Texts.Length])).ToArray();
        var sequences = docs.Chunk(3).Select((pack, index) =>
        {
            var spans = new List<(int, int)>();
            foreach (var d in pack) spans.Add((spans.Count == 0 ? 0 : spans[^1].Item2, (spans.Count == 0 ? 0 : spans[^1].Item2) + d.Length));
            return new TokenSequence(index, pack.SelectMany(d => d).ToArray(), spans.ToArray());
        });
        var data = TrainingData.FromSequences(sequences, contextLength, heldOutBuckets: 4);
        Assert.True(data.HeldOutDocuments > 0 && data.TrainDocuments > data.HeldOutDocuments);
        return data;
    }

    private static TrainOptions Options(int steps) => new()
    {
        Steps = steps, BatchSequences = 4, MicroBatch = 2, LearningRate = 3e-3f, WarmupSteps = 3, EvalEvery = 1000, EvalWindows = 4, CheckpointEvery = 3,
    };

    private static string TempPath(string name) =>
        Path.Combine(Scratch.NewDirectory("train"), name);

    [Fact]
    public void AFewStepsLowerTrainingAndHeldOutLoss()
    {
        var data = Data();
        using var session = TrainingSession.Start(Config, Vocab, data, Options(25) with { LearningRate = 1e-2f }, threads: 2);
        double before = session.HeldOutLoss();
        var losses = new List<float>();
        session.Run(null, p => losses.Add(p.Loss));
        Assert.Equal(25, losses.Count);
        Assert.True(losses.TakeLast(3).Average() < losses.Take(3).Average() - 0.5, $"training loss {losses[0]} -> {losses[^1]}");
        Assert.True(session.HeldOutLoss() < before - 0.3, $"held-out loss {before} -> {session.HeldOutLoss()}");
    }

    [Fact]
    public void ResumingFromACheckpointGivesTheUninterruptedResult()
    {
        var data = Data();
        // With repeated spans, so the augmentation must also follow from (seed, step) alone.
        var options = Options(6) with { RepeatSpans = 0.5f };
        using var whole = TrainingSession.Start(Config, Vocab, data, options, threads: 2);
        whole.Run(null, _ => { });

        string checkpoint = TempPath("run.ckpt");
        using (var first = TrainingSession.Start(Config, Vocab, data, options, threads: 2))
        {
            using var stop = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => first.Run(checkpoint, p => { if (p.Step == 3) stop.Cancel(); }, stop.Token));
        }
        using var resumed = TrainingSession.Resume(checkpoint, data, threads: 2);
        Assert.Equal(3, resumed.Step);
        resumed.Run(checkpoint, _ => { });

        var a = whole.Model().Tensors().Select(t => (t.Name, t.Data)).ToArray();
        var b = resumed.Model().Tensors().Select(t => (t.Name, t.Data)).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Data, b[i].Data);
    }

    [Fact]
    public void ACancelledRunCheckpointsItsLastFinishedStep()
    {
        var data = Data();
        var options = Options(6); // checkpoints at steps 3 and 6
        using var whole = TrainingSession.Start(Config, Vocab, data, options, threads: 2);
        whole.Run(null, _ => { });

        string checkpoint = TempPath("cancelled.ckpt");
        using (var first = TrainingSession.Start(Config, Vocab, data, options, threads: 2))
        {
            using var stop = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => first.Run(checkpoint, p => { if (p.Step == 4) stop.Cancel(); }, stop.Token));
            Assert.Equal(4, first.Step);
        }
        using var resumed = TrainingSession.Resume(checkpoint, data, threads: 2);
        Assert.Equal(4, resumed.Step);
        resumed.Run(checkpoint, _ => { });
        var a = whole.Model().Tensors().ToArray();
        var b = resumed.Model().Tensors().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Data, b[i].Data);
    }

    [Fact]
    public void ARunStoppedAfterAStepAndResumedIsTheUninterruptedRun()
    {
        var data = Data();
        var options = Options(6);
        using var whole = TrainingSession.Start(Config, Vocab, data, options, threads: 2);
        whole.Run(null, _ => { });

        string checkpoint = TempPath("stopped.ckpt");
        using (var first = TrainingSession.Start(Config, Vocab, data, options, threads: 2))
        {
            first.Run(checkpoint, _ => { }, stopAfter: 4);
            Assert.Equal(4, first.Step);
        }
        using var resumed = TrainingSession.Resume(checkpoint, data, threads: 2);
        Assert.Equal(4, resumed.Step);
        resumed.Run(checkpoint, _ => { });
        Assert.Equal(6, resumed.Step);
        var a = whole.Model().Tensors().ToArray();
        var b = resumed.Model().Tensors().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Data, b[i].Data);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    public void ANewRunStartsFromTheWeightsOfASavedGgufModel(GgmlType type)
    {
        var data = Data();
        using var trained = TrainingSession.Start(Config, Vocab, data, Options(3), threads: 2);
        trained.Run(null, _ => { });
        string gguf = TempPath($"model-{type}.gguf");
        trained.SaveGguf(gguf, type); // with F16 the trainer's weights are rounded to the file's
        using var next = TrainingSession.StartFrom(gguf, data, Options(2), threads: 2, contextLength: Config.ContextLength * 2, ropeBase: 40000f);
        Assert.Equal((Config.ContextLength * 2, 40000f, 0), (next.Config.ContextLength, next.Config.RopeBase, next.Step));
        Assert.Equal(Vocab.Tokens, next.Vocabulary.Tokens);
        Assert.Equal(Vocab.Merges, next.Vocabulary.Merges);
        var a = trained.Model().Tensors().ToArray();
        var b = next.Model().Tensors().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Data, b[i].Data);
    }

    [Fact]
    public void ANewRunStartsFromACheckpointsWeightsWithAFreshSchedule()
    {
        var data = Data();
        string checkpoint = TempPath("base.ckpt");
        double trained;
        using (var s = TrainingSession.Start(Config, Vocab, data, Options(6), threads: 2))
        {
            s.Run(checkpoint, _ => { });
            trained = s.HeldOutLoss();
        }
        using var next = TrainingSession.StartFrom(checkpoint, data, Options(4) with { RepeatSpans = 1f }, threads: 2);
        Assert.Equal(0, next.Step);
        Assert.Equal(1f, next.Options.RepeatSpans);
        Assert.Equal(trained, next.HeldOutLoss(), 6);
        using var fresh = TrainingSession.Start(Config, Vocab, data, Options(4), threads: 2);
        Assert.True(fresh.HeldOutLoss() > trained + 0.1, "the checkpoint's weights were not loaded");
        next.Run(null, _ => { });
        Assert.Equal(4, next.Step);
    }

    [Fact]
    public void ANewRunFromACheckpointMayTrainAtAnotherContextLength()
    {
        var data = Data();
        string checkpoint = TempPath("short.ckpt");
        using (var s = TrainingSession.Start(Config, Vocab, data, Options(3), threads: 2)) s.Run(checkpoint, _ => { });
        using var same = TrainingSession.StartFrom(checkpoint, data, Options(2), threads: 2);
        using var longer = TrainingSession.StartFrom(checkpoint, data, Options(2), threads: 2, contextLength: Config.ContextLength * 2);
        Assert.Equal(Config.ContextLength * 2, longer.Config.ContextLength);
        Assert.Equal(Config with { ContextLength = Config.ContextLength * 2 }, longer.Config);
        var a = same.Model().Tensors().Select(t => (t.Name, t.Data)).ToArray();
        var b = longer.Model().Tensors().Select(t => (t.Name, t.Data)).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Data, b[i].Data);
        longer.Run(null, _ => { });
        Assert.Equal(2, longer.Step);
        Assert.Equal((long)2 * Options(2).BatchSequences * Config.ContextLength * 2, longer.TokensTrained);
    }

    [Theory]
    [InlineData(1025)]
    [InlineData(33)]
    public void ARepeatedSpanIsTheSameRandomTokensSeveralTimes(int size)
    {
        int[] pool = [.. Enumerable.Range(100_000, 500)]; // tokens the window does not hold, so the copies stand out
        for (long w = 0; w < 50; w++)
        {
            var window = Enumerable.Range(0, size).ToArray();
            TrainingData.RepeatSpan(window, pool, TrainingData.WindowRandom(7, w));
            var again = Enumerable.Range(0, size).ToArray();
            TrainingData.RepeatSpan(again, pool, TrainingData.WindowRandom(7, w));
            Assert.Equal(window, again);

            // The changed tokens, in order, are one random span repeated: its length is their shortest period.
            var changed = Enumerable.Range(0, size).Where(i => window[i] != i).Select(i => window[i]).ToArray();
            Assert.All(changed, t => Assert.InRange(t, 100_000, 100_499));
            int length = Enumerable.Range(1, changed.Length).First(p => changed.Length % p == 0 && changed.Select((t, i) => t == changed[i % p]).All(x => x));
            Assert.InRange(changed.Length / length, 2, 8);
            Assert.InRange(length, Math.Min(4, size / 8), 64);
        }
    }

    [Fact]
    public void ACheckpointOfOtherDataOrADamagedFileIsRefused()
    {
        var data = Data();
        string checkpoint = TempPath("run.ckpt");
        using (var s = TrainingSession.Start(Config, Vocab, data, Options(1), threads: 2)) s.Run(checkpoint, _ => { });
        using var tokenizer = LlamaVocabulary.For(Vocab);
        var other = TrainingData.Build([new Document("x", string.Concat(Enumerable.Repeat(TinyModels.Texts[0], 20)), "t")], tokenizer, 4);
        Assert.Contains("corpus differs", Assert.Throws<UserInputException>(() => TrainingSession.Resume(checkpoint, other, 2)).Message);
        File.WriteAllBytes(checkpoint, "ELTRAIN1\u0010\0\0\0{"u8.ToArray());
        Assert.Contains("damaged", Assert.Throws<UserInputException>(() => TrainingSession.Resume(checkpoint, data, 2)).Message);
    }

    [Theory]
    [InlineData(GgmlType.F32, 1e-4)]
    [InlineData(GgmlType.F16, 1e-3)]
    public void SavedModelReloadsInLlamaCppWithTheTrainersHeldOutLoss(GgmlType type, double tolerance)
    {
        using var session = TrainingSession.Start(Config, Vocab, Data(), Options(10), threads: 2);
        session.Run(null, _ => { });
        string path = TempPath("model.gguf");
        session.SaveGguf(path, type);
        double trainer = session.HeldOutLoss(), llama = session.HeldOutLossInLlamaCpp(path, threads: 2);
        Assert.True(Math.Abs(trainer - llama) < tolerance, $"trainer {trainer}, llama.cpp {llama}");
        // Trained and scored in one process with a single copy of ggml: the trainer binds to llama.cpp's own files.
        var ggml = File.ReadLines("/proc/self/maps").Where(l => l.EndsWith("/libggml-base.so", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf('/')..]).Distinct().ToArray();
        Assert.Single(ggml);
    }

    [Fact]
    public void SequencesAreCutIntoOverlappingPaddedWindowsThatCarryTheirSpans()
    {
        var tokens = new List<int>();
        var segments = new List<int>();
        // Token 13 lies outside every span and is dropped; span 1 does not fit the window it starts in.
        int cut = TrainingData.Cut(Enumerable.Range(10, 12).ToArray(), [(0, 3), (4, 9), (9, 12)], 4, tokens, segments);
        Assert.Equal([10, 11, 12, 14, 15, /**/ 15, 16, 17, 18, 19, /**/ 19, 20, 21, 0, 0], tokens);
        Assert.Equal([0, 0, 0, 1, 1, /**/ 1, 1, 1, 1, 2, /**/ 2, 2, 2, -1, -1], segments);
        Assert.Equal(1, cut);
        // Every kept token but the first of each span is predicted exactly once.
        Assert.Equal(11 - 3, segments.Chunk(5).Sum(w => LlamaTrainer.CountedPositions(w)));

        // A window in which nothing would be predicted (spans of one token) is left out.
        tokens.Clear(); segments.Clear();
        TrainingData.Cut([1, 2, 3, 4, 5, 6, 7], [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 7)], 4, tokens, segments);
        Assert.Equal([5, 6, 7, 0, 0], tokens);
        Assert.Equal([4, 5, 5, -1, -1], segments);
    }

    [Fact]
    public void TrainingOnSequencesLowersTheMaskedLossAndResumesBitForBit()
    {
        var data = Sequences();
        Assert.Equal(16, data.TrainDocuments + data.HeldOutDocuments);
        Assert.True(data.SpansCut > 0);
        var options = Options(6) with { LearningRate = 1e-2f };
        using var whole = TrainingSession.Start(Config, Vocab, data, options, threads: 2);
        double before = whole.HeldOutLoss();
        whole.Run(null, _ => { });
        Assert.True(whole.HeldOutLoss() < before - 0.1, $"held-out loss {before} -> {whole.HeldOutLoss()}");

        string checkpoint = TempPath("seq.ckpt");
        using (var first = TrainingSession.Start(Config, Vocab, data, options, threads: 2))
        {
            using var stop = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => first.Run(checkpoint, p => { if (p.Step == 3) stop.Cancel(); }, stop.Token));
        }
        using var resumed = TrainingSession.Resume(checkpoint, data, threads: 2);
        resumed.Run(checkpoint, _ => { });
        var a = whole.Model().Tensors().Select(t => (t.Name, t.Data)).ToArray();
        var b = resumed.Model().Tensors().Select(t => (t.Name, t.Data)).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Data, b[i].Data);

        // The same tokens in other spans are other data.
        var other = TrainingData.FromSequences([new TokenSequence(0, data.Train, [(0, data.Train.Length)])], Config.ContextLength, 4);
        Assert.Contains("build's sequences differ", Assert.Throws<UserInputException>(() => TrainingSession.Resume(checkpoint, other, 2)).Message);
    }

    [Fact]
    public void ARaisedRopeBaseReachesTheGgufAndLlamaCppScoresTheMaskedSpansAsTheTrainerDoes()
    {
        var data = Sequences();
        string checkpoint = TempPath("base.ckpt");
        using (var s = TrainingSession.Start(Config, Vocab, data, Options(8) with { LearningRate = 1e-2f }, threads: 2)) s.Run(checkpoint, _ => { });

        using var raised = TrainingSession.StartFrom(checkpoint, data, Options(3), threads: 2, ropeBase: 500_000f);
        Assert.Equal(500_000f, raised.Config.RopeBase);
        using (var kept = TrainingSession.StartFrom(checkpoint, data, Options(3), threads: 2)) Assert.Equal(10_000f, kept.Config.RopeBase);
        raised.Run(checkpoint + ".raised", _ => { });
        Assert.Equal(500_000f, TrainingSession.ReadModel(checkpoint + ".raised").Config.RopeBase);
        string path = TempPath("raised.gguf");
        raised.SaveGguf(path, GgmlType.F32);
        Assert.Equal(500_000f, GgufFloat(path, "llama.rope.freq_base"));
        double trainer = raised.HeldOutLoss(), llama = raised.HeldOutLossInLlamaCpp(path, threads: 2);
        Assert.True(Math.Abs(trainer - llama) < 1e-4, $"trainer {trainer}, llama.cpp {llama}");
    }

    // Random weights (std 1/sqrt(fan-in)) attend sharply enough for the rope base and the masking to matter.
    private static readonly Lazy<(LlamaModel Model, string Path)> RandomModel = new(() =>
    {
        var model = LlamaModel.Random(Config with { RopeBase = 500_000f }, Vocab, seed: 4);
        string path = TempPath("random.gguf");
        model.SaveGguf(path);
        return (model, path);
    });

    [Fact]
    public void LlamaCppScoringEachSpanAloneGivesTheMaskedLoss()
    {
        var (model, path) = RandomModel.Value;
        var window = Data().HeldOut[..(Config.ContextLength + 1)];
        int[] segments = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 15), .. Enumerable.Repeat(2, 5), .. Enumerable.Repeat(-1, 3)];
        using var trainer = new LlamaTrainer(model.Config, threads: 2, documentMasking: true);
        trainer.SetWeights(model);
        var runs = TrainingData.SegmentRuns(window, segments);
        Assert.Equal([10, 15, 5], runs.Select(r => r.Length));
        using var engine = LlamaEngine.Load(path, new LlamaSettings { Exact = true, Threads = 2, KvContexts = 1, MaxSequences = 1 });
        double llama = runs.SelectMany(r => engine.NegLogLikelihoods(r)).Average();
        Assert.Equal(trainer.Loss(window, segments), llama, 4);
        Assert.True(Math.Abs(engine.NegLogLikelihoods(window[..30]).Average() - llama) > 1e-2, "masking changes nothing here: the test cannot tell");
    }

    [Fact]
    public void LlamaCppComputesWithTheRopeBaseOfTheGguf()
    {
        var (model, path) = RandomModel.Value;
        var window = Data().HeldOut[..(Config.ContextLength + 1)];
        double Trainer(float ropeBase)
        {
            using var trainer = new LlamaTrainer(Config with { RopeBase = ropeBase }, threads: 2);
            trainer.SetWeights(model with { Config = model.Config with { RopeBase = ropeBase } });
            return trainer.Loss(window);
        }
        using var engine = LlamaEngine.Load(path, new LlamaSettings { Exact = true, Threads = 2, KvContexts = 1, MaxSequences = 1 });
        double llama = engine.NegLogLikelihoods(window).Average();
        Assert.Equal(Trainer(500_000f), llama, 4);
        Assert.True(Math.Abs(Trainer(10_000f) - llama) > 1e-3, $"the base changes nothing here ({Trainer(10_000f)} vs {llama}): the test cannot tell");
    }

    /// <summary>A float32 metadata value of a GGUF file: the key's bytes, then type 6 (float32) and the value.</summary>
    private static float GgufFloat(string path, string key)
    {
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key)) + key.Length;
        Assert.Equal(6u, BitConverter.ToUInt32(bytes, at));
        return BitConverter.ToSingle(bytes, at + 4);
    }

    [Fact]
    public void TokenizerRoundTripsArbitraryUtf8()
    {
        using var tokenizer = LlamaVocabulary.For(Vocab);
        var rng = new Random(7);
        // ASCII (controls included), Latin-1, combining marks, CJK, astral (emoji), and the edges of the planes.
        (int From, int To)[] ranges = [(1, 0x7F), (0x80, 0x2FF), (0x300, 0x36F), (0x4E00, 0x9FFF), (0x1F300, 0x1FAFF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF)];
        for (int n = 0; n < 200; n++)
        {
            var sb = new StringBuilder();
            int length = rng.Next(1, 60);
            for (int i = 0; i < length; i++)
            {
                var (from, to) = ranges[rng.Next(ranges.Length)];
                sb.Append(char.ConvertFromUtf32(rng.Next(from, to + 1)));
            }
            string text = sb.ToString();
            Assert.Equal(text, tokenizer.Detokenize(tokenizer.Tokenize(text)));
        }
    }

    [Fact]
    public void NegLogLikelihoodIsMinusLogSoftmax()
    {
        float[] logits = [2f, -1f, 0.5f, 30f, -40f];
        double z = logits.Sum(l => Math.Exp(l));
        var scratch = new float[logits.Length];
        for (int t = 0; t < logits.Length; t++)
            Assert.Equal(-Math.Log(Math.Exp(logits[t]) / z), Entropy.NegLogLikelihood(logits, t, scratch), 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Entropy.NegLogLikelihood(logits, 5, scratch));
    }
}
