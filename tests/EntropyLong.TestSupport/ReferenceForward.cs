using EntropyLong.Llm;

namespace EntropyLong.TestSupport;

/// <summary>An independent float64 forward pass of a Llama model, written from the architecture's definition
/// (RMSNorm, rotary embeddings on adjacent pairs, grouped-query causal attention, SwiGLU), to check the engine.</summary>
public static class ReferenceForward
{
    /// <summary>Logits after each token of <paramref name="tokens"/>: result[i] predicts token i+1. With
    /// <paramref name="segments"/> (one id per token), a token attends only to earlier tokens of its own segment
    /// (document masking); positions stay those of the whole sequence.</summary>
    public static double[][] Logits(LlamaModel m, IReadOnlyList<int> tokens, IReadOnlyList<int>? segments = null)
    {
        var c = m.Config;
        int n = tokens.Count, d = c.Dim, hd = c.HeadDim, group = c.Heads / c.KvHeads;
        var h = new double[n][];
        for (int t = 0; t < n; t++) h[t] = Row(m.TokenEmbedding, tokens[t], d);
        foreach (var layer in m.Layers)
        {
            var q = new double[n][]; var k = new double[n][]; var v = new double[n][];
            for (int t = 0; t < n; t++)
            {
                var x = RmsNorm(h[t], layer.AttnNorm, c.NormEps);
                q[t] = Rope(MatVec(layer.Wq, x, d), t, hd, c.RopeBase);
                k[t] = Rope(MatVec(layer.Wk, x, c.KvDim), t, hd, c.RopeBase);
                v[t] = MatVec(layer.Wv, x, c.KvDim);
            }
            for (int t = 0; t < n; t++)
            {
                var att = new double[d];
                for (int head = 0; head < c.Heads; head++)
                {
                    int kvh = head / group;
                    var scores = new double[t + 1];
                    double max = double.NegativeInfinity;
                    for (int s = 0; s <= t; s++)
                    {
                        if (segments is not null && segments[s] != segments[t]) { scores[s] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[s][kvh * hd + i];
                        scores[s] = dot / Math.Sqrt(hd);
                        max = Math.Max(max, scores[s]);
                    }
                    double z = 0;
                    for (int s = 0; s <= t; s++) { scores[s] = Math.Exp(scores[s] - max); z += scores[s]; }
                    for (int s = 0; s <= t; s++)
                        for (int i = 0; i < hd; i++) att[head * hd + i] += scores[s] / z * v[s][kvh * hd + i];
                }
                var o = MatVec(layer.Wo, att, d);
                for (int i = 0; i < d; i++) h[t][i] += o[i];
                var x = RmsNorm(h[t], layer.FfnNorm, c.NormEps);
                var gate = MatVec(layer.WGate, x, c.FfnDim);
                var up = MatVec(layer.WUp, x, c.FfnDim);
                for (int i = 0; i < c.FfnDim; i++) gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
                var down = MatVec(layer.WDown, gate, d);
                for (int i = 0; i < d; i++) h[t][i] += down[i];
            }
        }
        var logits = new double[n][];
        for (int t = 0; t < n; t++) logits[t] = MatVec(m.Output, RmsNorm(h[t], m.OutputNorm, c.NormEps), c.VocabSize);
        return logits;
    }

    public static double Entropy(double[] logits)
    {
        double max = logits.Max(), z = 0, dot = 0;
        foreach (var l in logits) { double e = Math.Exp(l - max); z += e; dot += e * (l - max); }
        return Math.Log(z) - dot / z;
    }

    /// <summary>Entropy at every position (NaN at 0, where nothing precedes the token).</summary>
    public static double[] Entropies(LlamaModel m, IReadOnlyList<int> tokens)
    {
        var logits = Logits(m, tokens);
        var result = new double[tokens.Count];
        result[0] = double.NaN;
        for (int t = 1; t < tokens.Count; t++) result[t] = Entropy(logits[t - 1]);
        return result;
    }

    private static double[] Row(float[] matrix, int row, int width) => matrix.AsSpan(row * width, width).ToArray().Select(x => (double)x).ToArray();

    private static double[] MatVec(float[] w, double[] x, int rows)
    {
        var y = new double[rows];
        int cols = x.Length;
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int i = 0; i < cols; i++) s += w[r * cols + i] * x[i];
            y[r] = s;
        }
        return y;
    }

    private static double[] RmsNorm(double[] x, float[] weight, double eps)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(ms + eps);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private static double[] Rope(double[] x, int pos, int headDim, double theBase)
    {
        var y = (double[])x.Clone();
        for (int h = 0; h < x.Length / headDim; h++)
            for (int i = 0; i < headDim; i += 2)
            {
                double theta = pos * Math.Pow(theBase, -(double)i / headDim);
                double a = x[h * headDim + i], b = x[h * headDim + i + 1];
                y[h * headDim + i] = a * Math.Cos(theta) - b * Math.Sin(theta);
                y[h * headDim + i + 1] = a * Math.Sin(theta) + b * Math.Cos(theta);
            }
        return y;
    }
}
