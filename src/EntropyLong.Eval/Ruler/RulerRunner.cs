using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Eval.Models;

namespace EntropyLong.Eval.Ruler;

public sealed record RulerRunOptions
{
    public required IReadOnlyList<int> Lengths { get; init; }
    public required IReadOnlyList<RulerTask> Tasks { get; init; }
    public required int Samples { get; init; }
    public required string OutDir { get; init; }
    public long Seed { get; init; } = 42;
    /// <summary>Leave out, at every length, a task with no sample at the shortest length (with a notice) instead of
    /// refusing the run: for `--tasks all`, which asks for the tasks that can run, not for each by name.</summary>
    public bool LeaveOutTasksThatDoNotFit { get; init; }
}

/// <summary>Progress of a run: what is being done, and how far along (Total 0 while it cannot tell).</summary>
public sealed record RulerProgress(string Stage, int Done, int Total);

/// <summary>
/// Generates the samples, has the model answer them, scores the answers. The folder follows the reference's
/// layout, <c>OUT/LENGTH/data/TASK/validation.jsonl</c> and <c>OUT/LENGTH/pred/TASK.jsonl</c>, plus the
/// reference's <c>summary.csv</c> per length and <c>run.json</c> naming the model, tokenizer, seed and haystack.
/// A re-run reuses the sample files and predicts only the samples that have no prediction yet.
/// </summary>
public sealed class RulerRunner(ITextModel model, RulerInputs inputs, Action<string> notice, IProgress<RulerProgress>? progress = null)
{
    public async Task<RulerReport> RunAsync(RulerRunOptions options, CancellationToken ct)
    {
        var runnable = options.Tasks.Where(t => t is not QaTask qa || (qa.Dataset == QaDataset.Squad ? inputs.Squad : inputs.HotpotQa) is not null).ToHashSet();
        var misfits = TasksThatDoNotFit(options.Tasks.Where(runnable.Contains), options);
        Directory.CreateDirectory(options.OutDir);
        CheckManifest(options);
        foreach (var qa in options.Tasks.Except(runnable).Cast<QaTask>())
            notice($"skipping {qa.Name}: no {(qa.Dataset == QaDataset.Squad ? "SQuAD v2 dev file (--squad)" : "HotpotQA dev distractor file (--hotpotqa)")} given; " +
                   "the average at each length then covers fewer than 13 tasks");
        runnable.ExceptWith(misfits);
        var lengths = new List<LengthScores>();
        foreach (int length in options.Lengths)
        {
            if (model.ContextLength > 0 && length > model.ContextLength)
                notice($"warning: length {length} exceeds the model's context of {model.ContextLength} tokens");
            var scores = new List<TaskScore>();
            double seconds = 0;
            int timed = 0;
            foreach (var task in options.Tasks)
            {
                ct.ThrowIfCancellationRequested();
                if (!runnable.Contains(task)) continue;
                var samples = LoadOrGenerate(task, length, options, ct);
                var (s, n) = await PredictAsync(task, length, samples, options, ct).ConfigureAwait(false);
                seconds += s;
                timed += n;
                scores.Add(ScoreFile(task, PredPath(options.OutDir, length, task.Name)));
            }
            var ls = new LengthScores(length, length.ToString(System.Globalization.CultureInfo.InvariantCulture), scores, timed > 0 ? seconds / timed : null);
            WriteSummaryCsv(Path.Combine(options.OutDir, ls.Label, "pred"), ls);
            lengths.Add(ls);
        }
        var report = new RulerReport(model.Name, inputs.Essay.Description, lengths);
        File.WriteAllText(Path.Combine(options.OutDir, "scores.json"), report.ToJson().ToJsonString(EvalJson.Indented) + "\n");
        return report;
    }

    /// <summary>Generates (or reuses) the samples and scores the tasks with short-string answers by log-likelihood
    /// (<see cref="RulerLoglik"/>) into <c>LENGTH/loglik/TASK.jsonl</c> and <c>loglik.json</c>; a task whose file already
    /// holds every sample with as many distractors is not scored again.</summary>
    public RulerLoglikReport RunLoglik(RulerRunOptions options, int distractors, CancellationToken ct)
    {
        var scorer = model as IContinuationScorer
                     ?? throw new UserInputException("--scoring loglik needs a GGUF model run in-process (a server does not give the log-probabilities of given text)");
        var tasks = options.Tasks.Where(RulerLoglik.Applies).ToList();
        tasks = tasks.Except(TasksThatDoNotFit(tasks, options)).ToList();
        Directory.CreateDirectory(options.OutDir);
        CheckManifest(options);
        foreach (var t in options.Tasks.Where(t => !RulerLoglik.Applies(t)))
            notice($"skipping {t.Name}: log-likelihood scoring covers the tasks with short-string answers (niah_*, vt, cwe, fwe); qa answers are free text");
        var lengths = new List<(int?, string, IReadOnlyList<LoglikTaskScore>)>();
        foreach (int length in options.Lengths)
        {
            var scores = new List<LoglikTaskScore>();
            foreach (var task in tasks)
            {
                ct.ThrowIfCancellationRequested();
                var samples = LoadOrGenerate(task, length, options, ct);
                var scored = LoadOrScoreLoglik(scorer, task, length, samples, options, distractors, ct);
                scores.Add(RulerLoglik.Summarize(task.Name, scored.Select(s => s.Answers).ToList()));
            }
            lengths.Add((length, length.ToString(System.Globalization.CultureInfo.InvariantCulture), scores));
        }
        var report = new RulerLoglikReport(model.Name, inputs.Essay.Description, distractors, lengths);
        File.WriteAllText(Path.Combine(options.OutDir, RulerLoglikReport.SummaryFile), report.ToJson().ToJsonString(EvalJson.Indented) + "\n");
        return report;
    }

    private List<LoglikSample> LoadOrScoreLoglik(IContinuationScorer scorer, RulerTask task, int length, List<RulerSample> samples,
        RulerRunOptions options, int distractors, CancellationToken ct)
    {
        string path = RulerLoglikFiles.Path(options.OutDir, length, task.Name);
        if (File.Exists(path))
        {
            var existing = RulerLoglikFiles.Read(path);
            bool matches = existing.Count == samples.Count && existing.Zip(samples).All(p => p.First.Index == p.Second.Index &&
                p.First.Answers.Select(a => a.Answer).SequenceEqual(p.Second.Outputs) && p.First.Answers.All(a => a.Distractors.Count == distractors));
            if (matches) return existing;
        }
        string stage = $"{length} {task.Name} (loglik)";
        var result = new List<LoglikSample>(samples.Count);
        foreach (var sample in samples)
        {
            ct.ThrowIfCancellationRequested();
            if (sample.Outputs.Count == 0)
                throw new UserInputException($"{DataPath(options.OutDir, length, task.Name)}: sample {sample.Index} has an empty \"outputs\" list");
            progress?.Report(new RulerProgress(stage, result.Count, samples.Count));
            result.Add(new LoglikSample(sample.Index, RulerLoglik.Score(scorer, RulerLoglik.Items(task, sample, distractors, options.Seed))));
        }
        progress?.Report(new RulerProgress(stage, result.Count, samples.Count));
        RulerLoglikFiles.Write(path, result);
        return result;
    }

    /// <summary>The tasks with no sample at the run's shortest length (their smallest prompt does not fit, as the
    /// essay's smallest haystack of 500 words at 1024 tokens), left out at every length with a notice when
    /// <see cref="RulerRunOptions.LeaveOutTasksThatDoNotFit"/>, else refused before anything is written or asked of
    /// the model: skipped at one length only, its average would cover fewer tasks than the others'; found midway, the
    /// work before would be lost. One sample is drawn per task at the shortest length: what fits there fits at longer ones.</summary>
    private List<RulerTask> TasksThatDoNotFit(IEnumerable<RulerTask> tasks, RulerRunOptions options)
    {
        int shortest = options.Lengths.Min();
        var misfits = new List<(RulerTask Task, string Message, int? TokensNeeded)>();
        foreach (var task in tasks)
        {
            if (File.Exists(DataPath(options.OutDir, shortest, task.Name))) continue; // drawn by an earlier run
            try { RulerGenerator.Generate(task, shortest, 1, options.Seed, model.Tokenizer, inputs); }
            catch (UserInputException e) when (RulerGenerator.IsTooShort(e)) { misfits.Add((task, e.Message, RulerGenerator.TokensNeeded(e))); }
        }
        if (options.LeaveOutTasksThatDoNotFit)
            foreach (var m in misfits)
                notice($"leaving out {m.Task.Name} at every length: {m.Message}; the averages cover fewer tasks" +
                       (m.TokensNeeded is { } n ? $" (it needs --lengths of at least {n})" : ""));
        else if (misfits.Count > 0)
        {
            string longer = misfits.All(m => m.TokensNeeded is not null) ? $"--lengths of at least {misfits.Max(m => m.TokensNeeded)}" : "longer --lengths";
            throw new UserInputException($"{string.Join("; ", misfits.Select(m => m.Message))}; nothing was run: leave {(misfits.Count == 1 ? "it" : "them")} " +
                                         $"out of --tasks, or give {longer}");
        }
        return misfits.Select(m => m.Task).ToList();
    }

    public static string DataPath(string outDir, int length, string task) =>
        Path.Combine(outDir, length.ToString(System.Globalization.CultureInfo.InvariantCulture), "data", task, "validation.jsonl");

    public static string PredPath(string outDir, int length, string task) =>
        Path.Combine(outDir, length.ToString(System.Globalization.CultureInfo.InvariantCulture), "pred", task + ".jsonl");

    private void CheckManifest(RulerRunOptions options)
    {
        string path = Path.Combine(options.OutDir, "run.json");
        var current = new JsonObject
        {
            ["model"] = model.Name,
            ["tokenizer"] = model.Tokenizer.Description,
            ["seed"] = options.Seed,
            ["haystack"] = inputs.Essay.Description,
        };
        if (File.Exists(path))
        {
            JsonNode? old;
            try { old = JsonNode.Parse(File.ReadAllText(path)); }
            catch (System.Text.Json.JsonException ex) { throw new UserInputException($"{JsonErrors.Where(path, ex)}: not valid JSON ({JsonErrors.Message(ex)})", ex); }
            foreach (var key in new[] { "model", "tokenizer", "seed", "haystack" })
            {
                string a = old?[key]?.ToJsonString() ?? "null", b = current[key]!.ToJsonString();
                if (a != b)
                    throw new UserInputException($"{path}: this folder holds a run with {key} {a}, not {b}; use another --out (or delete the folder)");
            }
            return;
        }
        File.WriteAllText(path, current.ToJsonString(EvalJson.Indented) + "\n");
    }

    private List<RulerSample> LoadOrGenerate(RulerTask task, int length, RulerRunOptions options, CancellationToken ct)
    {
        string path = DataPath(options.OutDir, length, task.Name);
        if (File.Exists(path))
        {
            var existing = RulerFiles.ReadSamples(path);
            if (existing.Count == options.Samples) return existing;
        }
        progress?.Report(new RulerProgress($"{length} {task.Name}: generating samples", 0, 0));
        ct.ThrowIfCancellationRequested();
        var samples = RulerGenerator.Generate(task, length, options.Samples, options.Seed, model.Tokenizer, inputs);
        RulerFiles.WriteSamples(path, samples);
        return samples;
    }

    /// <summary>Predicts the samples without a prediction, appending each answer as soon as it comes; returns the
    /// generation seconds and count of the samples predicted now.</summary>
    private async Task<(double Seconds, int Count)> PredictAsync(RulerTask task, int length, List<RulerSample> samples, RulerRunOptions options, CancellationToken ct)
    {
        string path = PredPath(options.OutDir, length, task.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var done = new HashSet<int>();
        if (File.Exists(path))
        {
            RulerFiles.RepairTornTail(path);
            var byIndex = samples.ToDictionary(s => s.Index);
            var preds = RulerFiles.ReadPredictions(path);
            // keep only answers to the samples on file now (a changed sample file invalidates its old answers)
            var valid = preds.Where(p => byIndex.TryGetValue(p.Sample.Index, out var s) && s.Input == p.Sample.Input && done.Add(p.Sample.Index)).ToList();
            if (valid.Count != preds.Count)
            {
                notice($"{path}: dropped {preds.Count - valid.Count} predictions that do not match the current samples");
                File.WriteAllText(path, string.Concat(valid.Select(p => RulerFiles.PredictionLine(byIndex[p.Sample.Index], p.Pred) + "\n")));
            }
        }
        var todo = samples.Where(s => !done.Contains(s.Index)).ToList();
        if (todo.Count == 0) return (0, 0);
        string stage = $"{length} {task.Name}";
        progress?.Report(new RulerProgress(stage, samples.Count - todo.Count, samples.Count));
        var writeLock = new object();
        int finished = samples.Count - todo.Count;
        double seconds = 0;
        await using var file = new StreamWriter(path, append: true, new UTF8Encoding(false));
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = model.MaxConcurrency, CancellationToken = ct }, async (sample, token) =>
        {
            var sw = Stopwatch.StartNew();
            string pred = await model.GenerateAsync(new GenerationRequest(sample.Prompt, task.TokensToGenerate), token).ConfigureAwait(false);
            sw.Stop();
            lock (writeLock)
            {
                file.Write(RulerFiles.PredictionLine(sample, pred) + "\n");
                file.Flush();
                seconds += sw.Elapsed.TotalSeconds;
                finished++;
                progress?.Report(new RulerProgress(stage, finished, samples.Count));
            }
        }).ConfigureAwait(false);
        return (seconds, todo.Count);
    }

    /// <summary>Scores one prediction file with the task's metric; unknown task names use string_match_all.</summary>
    public static TaskScore ScoreFile(RulerTask? task, string path)
    {
        var preds = RulerFiles.ReadPredictions(path);
        string name = task?.Name ?? Path.GetFileNameWithoutExtension(path);
        if (preds.Count == 0) throw new UserInputException($"{path}: no predictions");
        var cleaned = preds.Select(p => RulerScoring.Postprocess(p.Pred)).ToList();
        var refs = preds.Select(p => p.Sample.Outputs).ToList();
        for (int i = 0; i < refs.Count; i++)
            if (refs[i].Count == 0) throw new UserInputException($"{path}: sample {preds[i].Sample.Index} has an empty \"outputs\" list");
        double score = RulerScoring.Score(task?.Metric ?? RulerMetric.StringMatchAll, cleaned, refs);
        return new TaskScore(name, score, cleaned.Count(c => c.Length == 0), preds.Count);
    }

    /// <summary>The reference's summary.csv: rows Tasks, Score, Nulls.</summary>
    public static void WriteSummaryCsv(string predDir, LengthScores scores)
    {
        if (scores.Tasks.Count == 0) return;
        Directory.CreateDirectory(predDir);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("0,").Append(string.Join(',', Enumerable.Range(1, scores.Tasks.Count))).Append('\n');
        sb.Append("Tasks,").Append(string.Join(',', scores.Tasks.Select(t => t.Task))).Append('\n');
        sb.Append("Score,").Append(string.Join(',', scores.Tasks.Select(t => t.Score.ToString(inv)))).Append('\n');
        sb.Append("Nulls,").Append(string.Join(',', scores.Tasks.Select(t => $"{t.Nulls}/{t.Count}"))).Append('\n');
        File.WriteAllText(Path.Combine(predDir, "summary.csv"), sb.ToString());
    }
}

/// <summary>Scores prediction files already on disk: this tool's output folder, or the reference's
/// (<c>.../LENGTH/pred/TASK.jsonl</c>), or one folder of TASK.jsonl files.</summary>
public static class RulerDirectoryScorer
{
    public static RulerReport Score(string dir)
    {
        if (!Directory.Exists(dir)) throw UserInputException.FolderNotFound(dir, "folder");
        var predDirs = new List<string>();
        if (HasTaskFiles(dir)) predDirs.Add(dir);
        else
            predDirs.AddRange(Directory.EnumerateDirectories(dir, "pred", SearchOption.AllDirectories).Where(HasTaskFiles));
        if (predDirs.Count == 0)
            throw new UserInputException($"{dir}: no prediction files (TASK.jsonl named after a RULER task, e.g. niah_single_1.jsonl) found here or in a pred/ folder below");
        var lengths = new List<LengthScores>();
        foreach (var pd in predDirs)
        {
            var tasks = new List<TaskScore>();
            foreach (var t in RulerTasks.All)
            {
                string f = Path.Combine(pd, t.Name + ".jsonl");
                if (File.Exists(f)) tasks.Add(RulerRunner.ScoreFile(t, f));
            }
            int? length = LengthOf(pd);
            string label = length?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Path.GetFileName(Path.GetFullPath(pd).TrimEnd(Path.DirectorySeparatorChar));
            lengths.Add(new LengthScores(length, label, tasks));
        }
        RefuseRepeatedLabels(dir, predDirs, lengths.Select(l => l.Label).ToList());
        lengths.Sort((a, b) => (a.Length ?? int.MaxValue).CompareTo(b.Length ?? int.MaxValue));
        var (model, haystack) = Manifest(predDirs.Select(pd => Path.Combine(pd, "..", "..")).Prepend(dir));
        return new RulerReport(model, haystack, lengths);
    }

    /// <summary>The scores of what is below <paramref name="dir"/>: prediction files (as <see cref="Score"/>), log-likelihood
    /// files (<c>LENGTH/loglik/TASK.jsonl</c>), or both; at least one kind must be there.</summary>
    public static (RulerReport? Predictions, RulerLoglikReport? Loglik) ScoreAny(string dir)
    {
        if (!Directory.Exists(dir)) throw UserInputException.FolderNotFound(dir, "folder");
        bool predictions = HasTaskFiles(dir) || Directory.EnumerateDirectories(dir, "pred", SearchOption.AllDirectories).Any(HasTaskFiles);
        var (model, haystack) = Manifest([dir]);
        var loglik = RulerLoglikReport.FromDirectory(dir, model, haystack);
        if (!predictions && loglik is null)
            throw new UserInputException($"{dir}: no prediction files (TASK.jsonl named after a RULER task, e.g. niah_single_1.jsonl) found here or in a pred/ folder below, " +
                                         $"nor log-likelihood files (LENGTH/{RulerLoglikReport.Folder}/TASK.jsonl)");
        return (predictions ? Score(dir) : null, loglik);
    }

    /// <summary>Two folders of one length (several models or runs below <paramref name="dir"/>) would be averaged as
    /// one model's lengths, and the JSON keeps only one of them.</summary>
    internal static void RefuseRepeatedLabels(string dir, IReadOnlyList<string> folders, IReadOnlyList<string> labels)
    {
        var twice = labels.Select((l, i) => (Label: l, Folder: folders[i])).GroupBy(x => x.Label).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new UserInputException($"{dir}: {string.Join(" and ", twice.Select(x => x.Folder))} both hold length {twice.Key} " +
                                         "(several models or runs below this folder); score the folder of one run");
    }

    private static bool HasTaskFiles(string d) => RulerTasks.All.Any(t => File.Exists(Path.Combine(d, t.Name + ".jsonl")));

    /// <summary>The length from the folder names: LENGTH/pred or LENGTH itself.</summary>
    private static int? LengthOf(string predDir)
    {
        var full = Path.GetFullPath(predDir).TrimEnd(Path.DirectorySeparatorChar);
        string name = Path.GetFileName(full);
        if (name == "pred") name = Path.GetFileName(Path.GetDirectoryName(full) ?? "");
        return int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int l) ? l : null;
    }

    /// <summary>Model and haystack from the run.json this tool writes in its output folder (OUT/run.json beside
    /// OUT/LENGTH/pred).</summary>
    internal static (string Model, string Haystack) Manifest(IEnumerable<string> candidates)
    {
        foreach (var d in candidates)
        {
            var f = Path.GetFullPath(Path.Combine(d, "run.json"));
            if (!File.Exists(f)) continue;
            try
            {
                var o = JsonNode.Parse(File.ReadAllText(f));
                return (o?["model"]?.GetValue<string>() ?? "unknown", o?["haystack"]?.GetValue<string>() ?? "unknown");
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
            {
                throw new UserInputException($"{JsonErrors.Where(f, ex)}: not a run.json written by this tool ({JsonErrors.Message(ex)})", ex);
            }
        }
        return ("unknown", "unknown (predictions not made by this tool; see the generator's settings)");
    }
}
