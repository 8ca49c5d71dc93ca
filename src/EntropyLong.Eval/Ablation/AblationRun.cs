using System.Globalization;
using System.Text.Json.Nodes;
using EntropyLong.Core;

namespace EntropyLong.Eval.Ablation;

/// <summary>What every model of an ablation shares: the continued training (<see cref="Batch"/> windows per step, peak
/// learning rate <see cref="Lr"/>), the corpus, the builds' roots and hyperparameters (<see cref="BuildConfig"/>: the keys
/// the build-config file states) and the evaluation's samples. Batch, BuildConfig, Lr and Corpus are null in a file
/// written before they were recorded.</summary>
public sealed record AblationSettings(long TrainingTokens, int Steps, int? Batch, int Ctx, double RopeBase, long Roots, int Samples, string Model, JsonObject? BuildConfig,
    double? Lr = null, IReadOnlyList<string>? Corpus = null);

/// <summary>An ablation as ablation.json holds it: its arms (rows, "none" first), seeds, settings and every model's
/// results. Runs made with the same settings, seeds on different machines say, merge into one table.</summary>
public sealed record AblationRun(IReadOnlyList<string> Arms, IReadOnlyList<int> Seeds, AblationSettings Settings, IReadOnlyList<AblationResult> Results)
{
    /// <summary>The arm the others are compared with, pair by pair: the method's when it ran, else the first.</summary>
    public string? Reference => Arms.Contains("entropylong") ? "entropylong" : Arms.FirstOrDefault(a => a != "none");

    /// <summary>Each arm's mean and interval over seeds, per task and length, each model's RULER average first.</summary>
    public IReadOnlyList<AblationCell> Cells() => AblationTable.Summarize(AblationTable.RulerAverages(Results).Concat(Results));

    /// <summary><see cref="Reference"/> minus each other arm, seed by seed (<see cref="AblationTable.PairedDifferences"/>).</summary>
    public IReadOnlyList<AblationCell> PairedCells() => Reference is { } reference
        ? AblationTable.Summarize(AblationTable.PairedDifferences(Results, reference))
        : [];

    public JsonObject ToJson() => new()
    {
        ["arms"] = new JsonArray(Arms.Select(a => (JsonNode)a).ToArray()), ["seeds"] = new JsonArray(Seeds.Select(x => (JsonNode)x).ToArray()),
        ["training_tokens"] = Settings.TrainingTokens, ["steps"] = Settings.Steps, ["batch"] = Settings.Batch, ["ctx"] = Settings.Ctx, ["rope_base"] = Settings.RopeBase,
        ["roots"] = Settings.Roots, ["samples"] = Settings.Samples, ["model"] = Settings.Model, ["build_config"] = Settings.BuildConfig?.DeepClone(),
        ["lr"] = Settings.Lr, ["corpus"] = Settings.Corpus is { } corpus ? new JsonArray(corpus.Select(f => (JsonNode)f).ToArray()) : null,
        ["cells"] = AblationTable.Json(Cells()),
        ["paired"] = AblationTable.Json(PairedCells()),
        ["results"] = new JsonArray(Results.Select(r => (JsonNode)new JsonObject
        {
            ["arm"] = r.Arm, ["seed"] = r.Seed, ["task"] = r.Task, ["length"] = r.Length, ["value"] = r.Value, // unrounded: a merge recomputes every cell from these
        }).ToArray()),
    };

    /// <summary>Reads an ablation.json; <paramref name="source"/> names it in errors.</summary>
    public static AblationRun FromJson(JsonNode? json, string source)
    {
        try
        {
            var root = json!.AsObject();
            var settings = new AblationSettings((long)root["training_tokens"]!, (int)root["steps"]!, (int?)root["batch"], (int)root["ctx"]!, (double)root["rope_base"]!,
                (long)root["roots"]!, (int)root["samples"]!, (string)root["model"]!, root["build_config"]?.AsObject().DeepClone().AsObject(),
                (double?)root["lr"], root["corpus"]?.AsArray().Select(f => (string)f!).ToList());
            var results = root["results"]!.AsArray().Select(r => new AblationResult((string)r!["arm"]!, (int)r["seed"]!, (string)r["task"]!,
                (int)r["length"]!, (double)r["value"]!)).ToList();
            return new AblationRun(root["arms"]!.AsArray().Select(a => (string)a!).ToList(), root["seeds"]!.AsArray().Select(x => (int)x!).ToList(),
                settings, results);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new UserInputException($"{source}: not an ablation.json (a field is missing or of the wrong kind)", e);
        }
    }

    /// <summary>One run of <paramref name="runs"/>' models. Their settings must agree (the model and corpus by file name,
    /// since a run on another machine has them at another path, and the untrained model's results, which catch a
    /// different model of the same name); a model in two runs must have the same results there (the same run given twice). Arms keep
    /// the order they first appear in, seeds are sorted. Errors name the runs by <paramref name="sources"/>.</summary>
    public static AblationRun Merge(IReadOnlyList<AblationRun> runs, IReadOnlyList<string> sources)
    {
        if (runs.Count == 0) throw new ArgumentException("nothing to merge", nameof(runs));
        var first = runs[0].Settings;
        for (int i = 1; i < runs.Count; i++)
        {
            var other = runs[i].Settings;
            void Same<T>(string key, T a, T b, string source)
            {
                if (!EqualityComparer<T>.Default.Equals(a, b))
                    throw new UserInputException($"{sources[i]}: {key} is {Format(b)}, {source} has {Format(a)}: only runs with the same settings merge");
            }
            Same("training_tokens", first.TrainingTokens, other.TrainingTokens, sources[0]);
            Same("steps", first.Steps, other.Steps, sources[0]);
            Same("ctx", first.Ctx, other.Ctx, sources[0]);
            Same("rope_base", first.RopeBase, other.RopeBase, sources[0]);
            Same("roots", first.Roots, other.Roots, sources[0]);
            Same("samples", first.Samples, other.Samples, sources[0]);
            Same("model", Path.GetFileName(first.Model), Path.GetFileName(other.Model), sources[0]);
        }
        // Newer files record more: each of these is checked against the first run that has it, whose value the merge keeps.
        AblationSettings? Recorded(string key, Func<AblationSettings, JsonNode?> value)
        {
            int? seen = null;
            for (int i = 0; i < runs.Count; i++)
                if (value(runs[i].Settings) is { } mine)
                {
                    if (seen is not { } j) seen = i;
                    else if (value(runs[j].Settings) is var theirs && !JsonNode.DeepEquals(theirs, mine))
                        throw new UserInputException($"{sources[i]}: {key} is {mine.ToJsonString()}, {sources[j]} has {theirs!.ToJsonString()}: only runs with the same settings merge");
                }
            return seen is { } k ? runs[k].Settings : null;
        }
        var settings = first with
        {
            Batch = Recorded("batch", s => s.Batch)?.Batch, BuildConfig = Recorded("build_config", s => s.BuildConfig)?.BuildConfig,
            Lr = Recorded("lr", s => s.Lr)?.Lr,
            Corpus = Recorded("corpus", s => s.Corpus is { } c ? new JsonArray(c.Select(f => (JsonNode)Path.GetFileName(f)).ToArray()) : null)?.Corpus,
        };

        var results = new Dictionary<(string Arm, int Seed, string Task, int Length), (double Value, string Source)>();
        var order = new List<(string, int, string, int)>();
        for (int i = 0; i < runs.Count; i++)
            foreach (var r in runs[i].Results)
            {
                var key = (r.Arm, r.Seed, r.Task, r.Length);
                if (!results.TryGetValue(key, out var seen))
                {
                    results[key] = (r.Value, sources[i]);
                    order.Add(key);
                }
                else if (seen.Value != r.Value)
                    throw new UserInputException(r.Arm == "none"
                        ? $"{sources[i]}: the untrained model scores {Format(r.Value)} on {r.Task} at {r.Length}, {Format(seen.Value)} in {seen.Source}: not the same model or evaluation"
                        : $"{sources[i]}: {r.Arm} seed {r.Seed} is also in {seen.Source}, with other results ({r.Task} at {r.Length}: {Format(r.Value)} against {Format(seen.Value)}); merge each seed once");
            }

        var arms = runs.SelectMany(r => r.Arms).Distinct().ToList();
        var seeds = runs.SelectMany(r => r.Seeds).Distinct().Order().ToList();
        return new AblationRun(arms, seeds, settings,
            order.OrderBy(k => arms.IndexOf(k.Item1)).ThenBy(k => k.Item2)
                .Select(k => new AblationResult(k.Item1, k.Item2, k.Item3, k.Item4, results[k].Value)).ToList());
    }

    private static string Format<T>(T value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : $"{value}";
}
