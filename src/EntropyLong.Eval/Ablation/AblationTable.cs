using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace EntropyLong.Eval.Ablation;

/// <summary>One measurement of a trained model: an arm (the kind of data it was trained on), a seed, a task at a length,
/// and its value (RULER log-likelihood accuracy in %, or a loss in nats).</summary>
public sealed record AblationResult(string Arm, int Seed, string Task, int Length, double Value);

/// <summary>An arm's result on a task at a length over its seeds: the mean and the half-width of its 95% interval
/// (Student's t with seeds - 1 degrees of freedom; NaN with a single seed).</summary>
public sealed record AblationCell(string Arm, string Task, int Length, int Seeds, double Mean, double HalfWidth95);

public static class AblationTable
{
    /// <summary>The task name of the held-out loss, and of each model's RULER average (see <see cref="RulerAverages"/>).</summary>
    public const string HeldOutLoss = "heldout_loss", RulerAverage = "ruler_average";

    /// <summary>Each model's RULER average at each length, the mean accuracy over its tasks (the paper's headline
    /// figure), as a result of its own: summarized, it gets a mean and interval over seeds like any task.</summary>
    public static IEnumerable<AblationResult> RulerAverages(IEnumerable<AblationResult> results) =>
        results.Where(r => r.Task is not (HeldOutLoss or RulerAverage))
            .GroupBy(r => (r.Arm, r.Seed, r.Length))
            .Select(g => new AblationResult(g.Key.Arm, g.Key.Seed, RulerAverage, g.Key.Length, g.Average(r => r.Value)));

    // Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
    private static readonly double[] T975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    /// <summary>t_{0.975} with <paramref name="df"/> degrees of freedom (1.96 beyond the table).</summary>
    /// <summary>Per seed, <paramref name="reference"/>'s RULER average (<see cref="RulerAverages"/>) and held-out loss minus
    /// each other arm's, as results of that arm (task "ruler_average: REFERENCE minus", say). A seed's models share the
    /// starting model, the training seed and the RULER samples, so the difference removes what they share and its
    /// interval over seeds is the one that compares two arms. An arm is paired on the seeds it shares with the reference.</summary>
    public static IEnumerable<AblationResult> PairedDifferences(IReadOnlyList<AblationResult> results, string reference)
    {
        var compared = RulerAverages(results).Concat(results.Where(r => r.Task == HeldOutLoss)).ToList();
        var mine = compared.Where(r => r.Arm == reference).ToDictionary(r => (r.Seed, r.Task, r.Length), r => r.Value);
        return compared.Where(r => r.Arm != reference && mine.ContainsKey((r.Seed, r.Task, r.Length)))
            .Select(r => r with { Task = $"{r.Task}: {reference} minus", Value = mine[(r.Seed, r.Task, r.Length)] - r.Value });
    }

    public static double TQuantile(int df) => df < 1 ? double.NaN : df <= T975.Length ? T975[df - 1] : 1.96;

    public static IReadOnlyList<AblationCell> Summarize(IEnumerable<AblationResult> results) =>
        results.GroupBy(r => (r.Arm, r.Task, r.Length))
            .Select(g =>
            {
                var xs = g.Select(r => r.Value).ToArray();
                double mean = xs.Average();
                double sd = xs.Length < 2 ? double.NaN : Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1));
                return new AblationCell(g.Key.Arm, g.Key.Task, g.Key.Length, xs.Length, mean, TQuantile(xs.Length - 1) * sd / Math.Sqrt(xs.Length));
            })
            .ToList();

    /// <summary>A Markdown table per task: rows are arms (in <paramref name="arms"/> order), columns lengths; each cell
    /// "mean ± half-width", losses to three decimals.</summary>
    public static string Markdown(IReadOnlyList<AblationCell> cells, IReadOnlyList<string> arms)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var task in cells.Select(c => c.Task).Distinct())
        {
            var lengths = cells.Where(c => c.Task == task).Select(c => c.Length).Distinct().Order().ToList();
            // Losses differ in the third decimal, accuracies (in %) in the first.
            string format = task.StartsWith(HeldOutLoss, StringComparison.Ordinal) ? "0.000" : "0.00";
            sb.Append("| ").Append(task).Append(" | ").Append(string.Join(" | ", lengths.Select(l => l.ToString(inv)))).Append(" |\n");
            sb.Append("|---|").Append(string.Concat(lengths.Select(_ => "---|"))).Append('\n');
            foreach (var arm in arms)
            {
                sb.Append("| ").Append(arm).Append(" |");
                foreach (int l in lengths)
                {
                    var c = cells.FirstOrDefault(x => x.Arm == arm && x.Task == task && x.Length == l);
                    sb.Append(' ').Append(c is null ? "-" : double.IsNaN(c.HalfWidth95) ? c.Mean.ToString(format, inv)
                        : $"{c.Mean.ToString(format, inv)} ± {c.HalfWidth95.ToString(format, inv)}").Append(" |");
                }
                sb.Append('\n');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static JsonArray Json(IReadOnlyList<AblationCell> cells) =>
        new(cells.Select(c => (JsonNode)new JsonObject
        {
            ["arm"] = c.Arm, ["task"] = c.Task, ["length"] = c.Length, ["seeds"] = c.Seeds,
            ["mean"] = Math.Round(c.Mean, 4), ["ci95"] = double.IsNaN(c.HalfWidth95) ? null : Math.Round(c.HalfWidth95, 4),
        }).ToArray());
}
