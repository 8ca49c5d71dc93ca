using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using EntropyLong.TestSupport;

namespace EntropyLong.Llm.Tests;

public class TrainerGradientTests
{
    // Tiny but complete: grouped-query attention (4 heads on 2 kv heads), two sequences per pass.
    private static (LlamaModel Model, int[] Sequences) Tiny(int microBatch = 2, int ctx = 8)
    {
        var bpe = ByteLevelBpe.Train(TinyModels.Texts, 300);
        var config = new LlamaConfig(bpe.Tokens.Length, 16, 1, 4, 2, 24, ctx);
        var model = LlamaModel.Random(config, bpe, seed: 3);
        var rng = new Random(5);
        foreach (var (name, data) in LlamaTrainer.Tensors(model))
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                for (int i = 0; i < data.Length; i++) data[i] = 0.5f + (float)rng.NextDouble();
        var seqs = new int[microBatch * (ctx + 1)];
        for (int i = 0; i < seqs.Length; i++) seqs[i] = rng.Next(config.VocabSize);
        return (model, seqs);
    }

    /// <summary>Mean next-token cross-entropy in float64 through the independent reference forward pass.</summary>
    private static double ReferenceLoss(LlamaModel m, int[] seqs)
    {
        int T = m.Config.ContextLength, n = seqs.Length / (T + 1);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            var window = seqs.AsSpan(s * (T + 1), T + 1).ToArray();
            var logits = ReferenceForward.Logits(m, window[..T]);
            for (int t = 0; t < T; t++)
            {
                double max = logits[t].Max(), z = logits[t].Sum(l => Math.Exp(l - max));
                sum += Math.Log(z) + max - logits[t][window[t + 1]];
            }
        }
        return sum / (n * T);
    }

    [Fact]
    public void LossMatchesTheFloat64Reference()
    {
        var (model, seqs) = Tiny();
        using var trainer = new LlamaTrainer(model.Config, microBatch: 2, threads: 2);
        trainer.SetWeights(model);
        double want = ReferenceLoss(model, seqs);
        Assert.InRange(trainer.Loss(seqs), want - 1e-4, want + 1e-4);
    }

    [Fact]
    public void GradientsOfEveryTensorKindMatchFiniteDifferences()
    {
        var (model, seqs) = Tiny();
        using var trainer = new LlamaTrainer(model.Config, microBatch: 2, threads: 2);
        trainer.SetWeights(model);
        trainer.ZeroGradients();
        trainer.AccumulateGradients(seqs);
        var rng = new Random(11);
        var failures = new List<string>();
        foreach (var (name, data) in LlamaTrainer.Tensors(model))
        {
            var grad = trainer.Gradient(name).ToArray();
            // the largest entries and a few random ones
            var picks = Enumerable.Range(0, grad.Length).OrderByDescending(i => Math.Abs(grad[i])).Take(3)
                .Concat(Enumerable.Range(0, 3).Select(_ => rng.Next(grad.Length))).Distinct();
            foreach (int i in picks)
            {
                float w = data[i];
                const float h = 1e-2f;
                data[i] = w + h; double up = ReferenceLoss(model, seqs);
                data[i] = w - h; double down = ReferenceLoss(model, seqs);
                double actualH = ((double)(w + h) - (w - h)) / 2;
                data[i] = w;
                double numeric = (up - down) / (2 * actualH);
                if (Math.Abs(numeric - grad[i]) > 2e-5 + 2e-3 * Math.Abs(numeric))
                    failures.Add($"{name}[{i}]: ggml {grad[i]:G6}, finite difference {numeric:G6}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
