using System.Diagnostics;

using EntropyLong.Llm;
using EntropyLong.Llm.Training;

namespace EntropyLong.Bench;

/// <summary>Throughput of the ggml training graph for one configuration, on random tokens.</summary>
public sealed record TrainerThroughput(double ForwardTokensPerSecond, double ForwardBackwardTokensPerSecond, double AdamMilliseconds, long MemoryBytes);

public static class TrainerBenchmark
{
    /// <summary>Times <paramref name="iterations"/> forward passes, forward+backward passes and AdamW steps (after one
    /// warm-up of each) on one micro-batch.</summary>
    public static TrainerThroughput Measure(LlamaConfig config, int microBatch, int threads, int iterations)
    {
        var tokens = new string[config.VocabSize];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = i < 256 ? ByteLevelBpe.ByteToChar[i].ToString() : $"<t{i}>";
        var vocab = new BpeVocabulary(tokens, new int[tokens.Length], [], tokens.Length - 2, tokens.Length - 1);
        using var trainer = new LlamaTrainer(config, microBatch, threads);
        trainer.SetWeights(LlamaTrainer.Initialize(config, vocab, 1));
        var rng = new Random(1);
        var batch = new int[microBatch * (config.ContextLength + 1)];
        for (int i = 0; i < batch.Length; i++) batch[i] = rng.Next(config.VocabSize);
        long tokensPerPass = (long)microBatch * config.ContextLength;

        trainer.Loss(batch);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) trainer.Loss(batch);
        double forward = clock.Elapsed.TotalSeconds;

        trainer.ZeroGradients();
        trainer.AccumulateGradients(batch);
        clock.Restart();
        for (int i = 0; i < iterations; i++) trainer.AccumulateGradients(batch);
        double backward = clock.Elapsed.TotalSeconds;

        trainer.AdamW(1, 1e-4f, 0.9f, 0.95f, 1e-8f, 0f);
        clock.Restart();
        for (int i = 0; i < iterations; i++) trainer.AdamW(i + 2, 1e-4f, 0.9f, 0.95f, 1e-8f, 0f);
        double adam = clock.Elapsed.TotalSeconds;
        return new TrainerThroughput(tokensPerPass * iterations / forward, tokensPerPass * iterations / backward, adam * 1000 / iterations, trainer.MemoryBytes);
    }
}
