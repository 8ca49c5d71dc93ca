using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Eval.Ruler;

/// <summary>Log-likelihood scores of one model over lengths (see <see cref="RulerLoglik"/>).</summary>
public sealed record RulerLoglikReport(string Model, string Haystack, int Distractors, IReadOnlyList<(int? Length, string Label, IReadOnlyList<LoglikTaskScore> Tasks)> Lengths)
{
    public const string Folder = "loglik", SummaryFile = "loglik.json";

    private static double Average(IEnumerable<double> xs) => xs.Any() ? PyCompat.Round(PyCompat.Sum(xs) / xs.Count(), 2) : double.NaN;

    private IReadOnlyList<string> TaskNames =>
        RulerTasks.All.Select(t => t.Name).Where(n => Lengths.Any(l => l.Tasks.Any(t => t.Task == n))).ToList();

    /// <summary>Two task x length tables: accuracy against chance, and the gold answers' mean log-probability per token.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        const int w = 10;
        var sb = new StringBuilder();
        sb.Append("RULER by log-likelihood  model: ").Append(Model).Append("  essay haystack: ").Append(Haystack).Append('\n');
        void Table(string title, Func<LoglikTaskScore, string> cell, Func<IReadOnlyList<LoglikTaskScore>, string>? footer)
        {
            sb.Append(title).Append('\n').Append("task".PadRight(18));
            foreach (var l in Lengths) sb.Append(l.Label.PadLeft(w));
            sb.Append('\n');
            foreach (var name in TaskNames)
            {
                sb.Append(name.PadRight(18));
                foreach (var l in Lengths) sb.Append((l.Tasks.FirstOrDefault(t => t.Task == name) is { } t ? cell(t) : "-").PadLeft(w));
                sb.Append('\n');
            }
            if (footer is null) return;
            sb.Append("average".PadRight(18));
            foreach (var l in Lengths) sb.Append(footer(l.Tasks).PadLeft(w));
            sb.Append('\n');
        }
        Table($"accuracy (%): the gold answer's log-likelihood is above all {Distractors} distractors of its kind (chance {RulerLoglik.Chance(Distractors).ToString("0.00", inv)})",
            t => t.Accuracy.ToString("0.00", inv), ts => Average(ts.Select(t => t.Accuracy)).ToString("0.00", inv));
        Table("mean log-probability of the gold answers (nats per token)", t => t.MeanLogProb.ToString("0.000", inv), null);
        sb.Append("answers scored".PadRight(18));
        foreach (var l in Lengths) sb.Append(l.Tasks.Sum(t => t.Answers).ToString(inv).PadLeft(w));
        sb.Append('\n');
        return sb.ToString();
    }

    public JsonObject ToJson()
    {
        var lengths = new JsonObject();
        foreach (var l in Lengths)
        {
            var tasks = new JsonObject();
            foreach (var t in l.Tasks)
                tasks[t.Task] = new JsonObject { ["accuracy"] = t.Accuracy, ["mean_logprob"] = Math.Round(t.MeanLogProb, 6), ["samples"] = t.Samples, ["answers"] = t.Answers };
            double average = Average(l.Tasks.Select(t => t.Accuracy));
            lengths[l.Label] = new JsonObject { ["accuracy"] = double.IsNaN(average) ? null : average, ["tasks"] = tasks };
        }
        return new JsonObject
        {
            ["model"] = Model, ["haystack"] = Haystack, ["distractors"] = Distractors,
            ["chance"] = PyCompat.Round(RulerLoglik.Chance(Distractors), 2), ["lengths"] = lengths,
        };
    }

    /// <summary>The log-likelihood files below <paramref name="dir"/> (<c>LENGTH/loglik/TASK.jsonl</c>), or null when there are none.</summary>
    public static RulerLoglikReport? FromDirectory(string dir, string model, string haystack)
    {
        var folders = Directory.EnumerateDirectories(dir, Folder, SearchOption.AllDirectories)
            .Where(d => RulerTasks.All.Any(t => File.Exists(Path.Combine(d, t.Name + ".jsonl")))).ToList();
        if (folders.Count == 0) return null;
        var lengths = new List<(int?, string, IReadOnlyList<LoglikTaskScore>)>();
        var counts = new HashSet<int>();
        foreach (var folder in folders)
        {
            var tasks = new List<LoglikTaskScore>();
            foreach (var t in RulerTasks.All)
            {
                string f = Path.Combine(folder, t.Name + ".jsonl");
                if (!File.Exists(f)) continue;
                var samples = RulerLoglikFiles.Read(f);
                if (samples.Count == 0) throw new UserInputException($"{f}: no scored samples");
                counts.UnionWith(samples.SelectMany(s => s.Answers).Select(a => a.Distractors.Count));
                tasks.Add(RulerLoglik.Summarize(t.Name, samples.Select(s => s.Answers).ToList()));
            }
            string label = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(folder))!);
            lengths.Add((int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out int l) ? l : null, label, tasks));
        }
        RulerDirectoryScorer.RefuseRepeatedLabels(dir, folders, lengths.Select(l => l.Item2).ToList());
        if (counts.Count != 1) throw new UserInputException($"{dir}: log-likelihood files with different numbers of distractors ({string.Join(", ", counts.Order())}); score them apart");
        lengths.Sort((a, b) => (a.Item1 ?? int.MaxValue).CompareTo(b.Item1 ?? int.MaxValue));
        return new RulerLoglikReport(model, haystack, counts.Single(), lengths);
    }
}

/// <summary>One line of <c>LENGTH/loglik/TASK.jsonl</c>: a sample's index and its scored answers.</summary>
public sealed record LoglikSample(int Index, IReadOnlyList<LoglikAnswer> Answers);

/// <summary>Reads and writes the per-sample log-likelihood files (JSON lines).</summary>
public static class RulerLoglikFiles
{
    public static string Path(string outDir, int length, string task) =>
        System.IO.Path.Combine(outDir, length.ToString(CultureInfo.InvariantCulture), RulerLoglikReport.Folder, task + ".jsonl");

    private static JsonObject Score(ContinuationScore c) => new() { ["text"] = c.Text, ["logprob"] = c.LogProb, ["tokens"] = c.Tokens };

    public static string Line(LoglikSample s) => new JsonObject
    {
        ["index"] = s.Index,
        ["answers"] = new JsonArray(s.Answers.Select(a => (JsonNode)new JsonObject
        {
            ["answer"] = a.Answer, ["gold"] = Score(a.Gold),
            ["distractors"] = new JsonArray(a.Distractors.Select(d => (JsonNode)Score(d)).ToArray()), ["correct"] = a.Correct,
        }).ToArray()),
    }.ToJsonString(EvalJson.Compact);

    /// <summary>Writes the whole file under a temporary name first, so a crash never leaves half of one.</summary>
    public static void Write(string path, IEnumerable<LoglikSample> samples)
    {
        using var file = new AtomicFile(path);
        using (var w = new StreamWriter(file.Stream, new UTF8Encoding(false), leaveOpen: true))
            foreach (var s in samples) w.Write(Line(s) + "\n");
        file.Commit();
    }

    public static List<LoglikSample> Read(string path)
    {
        var result = new List<LoglikSample>();
        foreach (var (lineNo, line) in EvalText.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var o = JsonNode.Parse(line);
                static JsonNode Field(JsonNode? n, string name) => n?[name] ?? throw new FormatException($"no \"{name}\"");
                static ContinuationScore ScoreOf(JsonNode? n) =>
                    new(Field(n, "text").GetValue<string>(), Field(n, "logprob").GetValue<double>(), Field(n, "tokens").GetValue<int>());
                var answers = Field(o, "answers").AsArray().Select(a => new LoglikAnswer(Field(a, "answer").GetValue<string>(), ScoreOf(Field(a, "gold")),
                    Field(a, "distractors").AsArray().Select(ScoreOf).ToList())).ToList();
                result.Add(new LoglikSample(Field(o, "index").GetValue<int>(), answers));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new UserInputException($"{path}:{lineNo}: not a log-likelihood line of this tool ({JsonErrors.Message(e)})", e);
            }
        }
        return result;
    }
}
