using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace EntropyLong.Eval.Ruler;

/// <param name="Nulls">Predictions empty after post-processing (the reference's "Nulls" row).</param>
public sealed record TaskScore(string Task, double Score, int Nulls, int Count);

/// <param name="Length">The length in tokens, or null when a prediction folder does not say.</param>
/// <param name="SecondsPerSample">Mean generation time of the samples predicted in this run; null when none were.</param>
public sealed record LengthScores(int? Length, string Label, IReadOnlyList<TaskScore> Tasks, double? SecondsPerSample = null)
{
    /// <summary>The mean of the task scores at this length (the paper's per-length number).</summary>
    public double Average => Tasks.Count == 0 ? double.NaN : PyCompat.Round(PyCompat.Sum(Tasks.Select(t => t.Score)) / Tasks.Count, 2);
}

/// <summary>Scores of one model over lengths, and the haystack they were made with.</summary>
public sealed record RulerReport(string Model, string Haystack, IReadOnlyList<LengthScores> Lengths)
{
    /// <summary>The paper's "Avg": the mean over lengths of the per-length means.</summary>
    public double Average => Lengths.Count == 0 ? double.NaN : PyCompat.Round(PyCompat.Sum(Lengths.Select(l => l.Average)) / Lengths.Count, 2);

    private IReadOnlyList<string> TaskNames =>
        RulerTasks.All.Select(t => t.Name).Where(n => Lengths.Any(l => l.Tasks.Any(t => t.Task == n)))
                  .Concat(Lengths.SelectMany(l => l.Tasks.Select(t => t.Task)).Where(n => RulerTasks.Find(n) is null).Distinct())
                  .ToList();

    /// <summary>Per-task table (tasks x lengths), then the paper's one-row table.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("RULER  model: ").Append(Model).Append("  essay haystack: ").Append(Haystack).Append('\n');
        const int w = 10;
        sb.Append("task".PadRight(18));
        foreach (var l in Lengths) sb.Append(l.Label.PadLeft(w));
        sb.Append('\n');
        foreach (var name in TaskNames)
        {
            sb.Append(name.PadRight(18));
            foreach (var l in Lengths)
            {
                var t = l.Tasks.FirstOrDefault(x => x.Task == name);
                sb.Append((t is null ? "-" : t.Score.ToString("0.00", inv)).PadLeft(w));
            }
            sb.Append('\n');
        }
        sb.Append("nulls".PadRight(18));
        foreach (var l in Lengths) sb.Append($"{l.Tasks.Sum(t => t.Nulls)}/{l.Tasks.Sum(t => t.Count)}".PadLeft(w));
        sb.Append('\n');
        if (Lengths.Any(l => l.SecondsPerSample is not null))
        {
            sb.Append("s/sample".PadRight(18));
            foreach (var l in Lengths) sb.Append((l.SecondsPerSample is { } s ? s.ToString("0.00", inv) : "-").PadLeft(w));
            sb.Append('\n');
        }
        int full = RulerTasks.All.Count;
        var partial = Lengths.Where(l => l.Tasks.Count != full).ToList();
        sb.Append('\n');
        sb.Append("| Model | ").Append(string.Join(" | ", Lengths.Select(l => l.Label))).Append(" | Avg |\n");
        sb.Append("|---|").Append(string.Concat(Lengths.Select(_ => "---|"))).Append("---|\n");
        sb.Append("| ").Append(Model).Append(" | ").Append(string.Join(" | ", Lengths.Select(l => l.Average.ToString("0.00", inv))))
          .Append(" | ").Append(Average.ToString("0.00", inv)).Append(" |\n");
        sb.Append("essay haystack: ").Append(Haystack).Append('\n');
        foreach (var l in partial)
            sb.Append($"note: {l.Label} averages {l.Tasks.Count} of the {full} tasks ({string.Join(", ", RulerTasks.All.Select(t => t.Name).Except(l.Tasks.Select(t => t.Task)))} missing); not comparable with the paper's number\n");
        return sb.ToString();
    }

    private static JsonNode? Num(double x) => double.IsNaN(x) ? null : JsonValue.Create(x);

    public JsonObject ToJson()
    {
        var lengths = new JsonObject();
        foreach (var l in Lengths)
        {
            var tasks = new JsonObject();
            foreach (var t in l.Tasks) tasks[t.Task] = new JsonObject { ["score"] = t.Score, ["nulls"] = t.Nulls, ["samples"] = t.Count };
            var entry = new JsonObject { ["average"] = Num(l.Average), ["tasks"] = tasks, ["complete"] = l.Tasks.Count == RulerTasks.All.Count };
            if (l.SecondsPerSample is { } s) entry["seconds_per_sample"] = Math.Round(s, 3);
            lengths[l.Label] = entry;
        }
        return new JsonObject { ["model"] = Model, ["haystack"] = Haystack, ["lengths"] = lengths, ["average"] = Num(Average) };
    }
}
