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
        foreach (var (name, _, data) in model.Tensors())
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                for (int i = 0; i < data.Length; i++) data[i] = 0.5f + (float)rng.NextDouble();
        var seqs = new int[microBatch * (ctx + 1)];
        for (int i = 0; i < seqs.Length; i++) seqs[i] = rng.Next(config.VocabSize);
        return (model, seqs);
    }

    /// <summary>Mean next-token cross-entropy in float64 through the independent reference forward pass; with
    /// segments, attention within segments and the mean over the positions whose target is in the input's segment.</summary>
    private static double ReferenceLoss(LlamaModel m, int[] seqs, int[]? segments = null)
    {
        var losses = ReferencePositionLosses(m, seqs, segments);
        return losses.Where(l => !double.IsNaN(l)).Average();
    }

    /// <summary>-log p(next token) per position (NaN where a position does not count).</summary>
    private static double[] ReferencePositionLosses(LlamaModel m, int[] seqs, int[]? segments)
    {
        int T = m.Config.ContextLength, n = seqs.Length / (T + 1);
        var result = new double[n * T];
        for (int s = 0; s < n; s++)
        {
            var window = seqs.AsSpan(s * (T + 1), T + 1).ToArray();
            var seg = segments?.AsSpan(s * (T + 1), T + 1).ToArray();
            var logits = ReferenceForward.Logits(m, window[..T], seg?[..T]);
            for (int t = 0; t < T; t++)
            {
                double max = logits[t].Max(), z = logits[t].Sum(l => Math.Exp(l - max));
                bool counts = seg is null || (seg[t] >= 0 && seg[t + 1] == seg[t]);
                result[s * T + t] = counts ? Math.Log(z) + max - logits[t][window[t + 1]] : double.NaN;
            }
        }
        return result;
    }

    // Two windows of 9 tokens with different layouts: three spans; a span cut short by the window end and padding.
    private static readonly int[] Segments = [0, 0, 0, 1, 1, 1, 1, 2, 2, /**/ 4, 4, 4, 4, 4, 4, -1, -1, -1];

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
    public void AttentionAndLossDoNotCrossSpans()
    {
        var (model, seqs) = Tiny(microBatch: 1);
        int[] segments = [0, 0, 0, 0, 0, 1, 1, 1, 1]; // span 1: tokens 0-4, span 2: tokens 5-8
        using var trainer = new LlamaTrainer(model.Config, microBatch: 1, threads: 2, documentMasking: true);
        trainer.SetWeights(model);
        var before = trainer.PositionLosses(seqs, segments);
        var other = (int[])seqs.Clone();
        for (int i = 0; i < 5; i++) other[i] = (seqs[i] + 1 + i) % model.Config.VocabSize;
        var after = trainer.PositionLosses(other, segments);
        var reference = ReferencePositionLosses(model, seqs, segments);

        // Inputs 5-7 predict span 2's tokens 6-8: the same whatever span 1 holds, and as the float64 reference says.
        for (int t = 5; t < 8; t++)
        {
            Assert.Equal(before[t], after[t], 6);
            Assert.Equal(reference[t], before[t], 4);
        }
        Assert.NotEqual(before[2], after[2], 3); // span 1's own positions do change
        // Span 2's first token (predicted at input 4, from span 1) carries no loss: the mean is over the other seven.
        Assert.True(double.IsNaN(reference[4]));
        double counted = ReferenceLoss(model, seqs, segments);
        Assert.Equal(7, LlamaTrainer.CountedPositions(segments));
        Assert.Equal(counted, trainer.Loss(seqs, segments), 4);
        double withBoundary = (counted * 7 + before[4]) / 8;
        Assert.True(Math.Abs(withBoundary - counted) > 1e-3, "the boundary position would not change the mean: the test cannot tell");
    }

    [Fact]
    public void MaskedLossMatchesTheFloat64Reference()
    {
        var (model, seqs) = Tiny();
        using var trainer = new LlamaTrainer(model.Config, microBatch: 2, threads: 2, documentMasking: true);
        trainer.SetWeights(model);
        double want = ReferenceLoss(model, seqs, Segments);
        Assert.InRange(trainer.Loss(seqs, Segments), want - 1e-4, want + 1e-4);
        trainer.ZeroGradients();
        Assert.InRange(trainer.AccumulateGradients(seqs, Segments, gradientWeight: 0.25f), want - 1e-4, want + 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientsOfEveryTensorKindMatchFiniteDifferences(bool masked)
    {
        var (model, seqs) = Tiny();
        var segments = masked ? Segments : null;
        using var trainer = new LlamaTrainer(model.Config, microBatch: 2, threads: 2, documentMasking: masked);
        trainer.SetWeights(model);
        trainer.ZeroGradients();
        trainer.AccumulateGradients(seqs, segments);
        var rng = new Random(11);
        var failures = new List<string>();
        foreach (var (name, _, data) in model.Tensors())
        {
            var grad = trainer.Gradient(name).ToArray();
            // the largest entries and a few random ones
            var picks = Enumerable.Range(0, grad.Length).OrderByDescending(i => Math.Abs(grad[i])).Take(3)
                .Concat(Enumerable.Range(0, 3).Select(_ => rng.Next(grad.Length))).Distinct();
            foreach (int i in picks)
            {
                float w = data[i];
                const float h = 1e-2f;
                data[i] = w + h; double up = ReferenceLoss(model, seqs, segments);
                data[i] = w - h; double down = ReferenceLoss(model, seqs, segments);
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
