using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Eval;
using EntropyLong.Eval.Models;
using EntropyLong.Eval.Ruler;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class EvalRulerSettings : EvalModelSettings
{
    [CommandOption("--lengths <LIST>")]
    [Description("Comma-separated lengths in tokens (prompt + tokens to generate). Default: the paper's 8192,16384,32768,65536,131072; " +
                 "with --scoring loglik, those of 1024,2048,4096 the model holds.")]
    [OptionRange(256, OptionLimits.Tokens)]
    public string? Lengths { get; init; }

    public const string PaperLengths = "8192,16384,32768,65536,131072", LoglikLengths = "1024,2048,4096";

    [CommandOption("--scoring <MODE>")]
    [Description("generate (the benchmark: the model answers, the answer is matched) or loglik (niah_*, vt, cwe, fwe scored by the log-likelihood " +
                 "of the gold answer against distractors: for small models; GGUF in-process only). Default generate.")]
    [DefaultValue("generate")]
    public string Scoring { get; init; } = "generate";

    [CommandOption("--distractors <K>")]
    [Description("--scoring loglik: distractors per gold answer (chance is 1/(K+1)). Default 4.")]
    [DefaultValue(RulerLoglik.DefaultDistractors)]
    [OptionRange(1, 100)]
    public int Distractors { get; init; } = RulerLoglik.DefaultDistractors;

    public bool Loglik => Scoring == "loglik";

    [CommandOption("--samples <N>")]
    [Description("Samples per task and length (reference default 500).")]
    [DefaultValue(500)]
    [OptionRange(1, 1_000_000)]
    public int Samples { get; init; } = 500;

    [CommandOption("--tasks <LIST>")]
    [Description("`all` or comma-separated task names: niah_single_1..3, niah_multikey_1..3, niah_multivalue, niah_multiquery, vt, cwe, fwe, qa_1, qa_2. " +
                 "`all` leaves out, at every length and with a note, a task with no sample that fits the shortest of --lengths; a task named here that cannot fit refuses the run (unless --skip-unfit-tasks).")]
    [DefaultValue("all")]
    public string Tasks { get; init; } = "all";

    [CommandOption("--skip-unfit-tasks")]
    [Description("Leave out, at every length with a note, a task named in --tasks that has no sample at the shortest length, as `all` does, instead of refusing the run")]
    public bool SkipUnfitTasks { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Output folder: LENGTH/data/TASK/validation.jsonl, LENGTH/pred/TASK.jsonl, scores.json. A re-run continues where it stopped.")]
    public string? Out { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Generator seed (reference default 42).")]
    [DefaultValue(42L)]
    [OptionRange(0, long.MaxValue)]
    public long Seed { get; init; } = 42;

    [CommandOption("--haystack <TXT>")]
    [Description("Plain-text essay haystack for the essay tasks (default: the built-in public-domain text; the reference uses Paul Graham essays).")]
    public string? Haystack { get; init; }

    [CommandOption("--squad <JSON>")]
    [Description("SQuAD v2 dev file for qa_1 (skipped with a notice when absent).")]
    public string? Squad { get; init; }

    [CommandOption("--hotpotqa <JSON>")]
    [Description("HotpotQA dev distractor file for qa_2 (skipped with a notice when absent).")]
    public string? HotpotQa { get; init; }

    public override ValidationResult Validate()
    {
        var v = base.Validate();
        if (!v.Successful) return v;
        if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required");
        if (Scoring is not ("generate" or "loglik")) return ValidationResult.Error($"--scoring must be generate or loglik, not \"{Scoring}\"");
        if (Loglik && TextModels.IsUrl(Model ?? "")) return ValidationResult.Error("--scoring loglik runs a GGUF model in-process; a server does not give the log-probabilities of given text");
        return ValidationResult.Success();
    }

    public List<int> ParseLengths() => OptionRangeAttribute.WholeNumbers(Lengths ?? (Loglik ? LoglikLengths : PaperLengths)).Distinct().ToList();

    /// <summary>--tasks all: the tasks that can run, rather than each by name.</summary>
    public bool AllTasks => Tasks.Trim() == "all";

    public List<RulerTask> ParseTasks()
    {
        if (AllTasks) return RulerTasks.All.ToList();
        var tasks = Tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => RulerTasks.Find(n) ?? throw new UsageException($"--tasks: unknown task \"{n}\"; known: {string.Join(", ", RulerTasks.All.Select(t => t.Name))}"))
            .Distinct().ToList();
        return tasks.Count > 0 ? tasks : throw new UsageException("--tasks names no task: give task names, comma-separated, or all");
    }
}

public sealed class EvalRulerCommand : AsyncCommand<EvalRulerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EvalRulerSettings settings, CancellationToken cancellationToken)
    {
        OutputPath.CheckFolder(settings.Out!);
        var lengths = settings.ParseLengths();
        var tasks = settings.ParseTasks();
        var essay = settings.Haystack is null ? EssayHaystack.Default() : EssayHaystack.FromFile(settings.Haystack);
        var squad = settings.Squad is null ? null : QaData.ReadSquad(settings.Squad);
        var hotpot = settings.HotpotQa is null ? null : QaData.ReadHotpotQa(settings.HotpotQa);
        using var model = await TextModels.OpenAsync(settings.OpenOptions(lengths.Max() + EvalModelSettings.ContextSlack), cancellationToken);
        EvalConsole.Info($"model: {model.Name} ({(TextModels.IsUrl(settings.Model ?? "") ? (settings.Chat ? "chat" : "completions") + " at " + settings.Model : "llama.cpp in-process")}); " +
                         $"tokens counted by {model.Tokenizer.Description}; essay haystack: {essay.Description}");
        var inputs = new RulerInputs(essay, squad, hotpot);
        if (settings.Loglik) lengths = LoglikLengths(model, settings, lengths);
        else EvalConsole.WarnIfBeyondTraining(model, lengths.Max());
        var options = new RulerRunOptions
        {
            Lengths = lengths, Tasks = tasks, Samples = settings.Samples, OutDir = settings.Out!, Seed = settings.Seed,
            LeaveOutTasksThatDoNotFit = settings.AllTasks || settings.SkipUnfitTasks,
        };
        RulerRunner Runner(Action<string, int, int> sink) =>
            new(model, inputs, EvalConsole.Notice, new SyncProgress<RulerProgress>(p => sink(p.Stage, p.Done, p.Total)));
        if (settings.Loglik)
        {
            var scored = await EvalConsole.WithProgress(sink => Task.Run(() => Runner(sink).RunLoglik(options, settings.Distractors, cancellationToken), cancellationToken));
            Console.Out.Write(settings.Json ? scored.ToJson().ToJsonString(EvalJson.Compact) + "\n" : scored.ToText());
            return 0;
        }
        var report = await EvalConsole.WithProgress(sink => Runner(sink).RunAsync(options, cancellationToken));
        Print(report, settings.Json);
        return 0;
    }

    /// <summary>Scoring by log-likelihood is for models too small to answer: it runs at the lengths the model was
    /// trained for (without --lengths, those of the defaults that fit).</summary>
    private static List<int> LoglikLengths(ITextModel model, EvalRulerSettings settings, List<int> lengths)
    {
        int trained = model is LlamaCppModel m ? m.TrainedContextLength : 0;
        if (trained <= 0) return lengths;
        if (settings.Lengths is null) lengths = lengths.Where(l => l <= trained).ToList();
        if (lengths.Count == 0)
            throw new UserInputException($"{model.Name}: none of the lengths {EvalRulerSettings.LoglikLengths} fits the model's context of {trained} tokens; give --lengths");
        if (lengths.Max() > trained)
            throw new UserInputException($"{model.Name}: length {lengths.Max()} exceeds the model's context of {trained} tokens; --scoring loglik runs at lengths the model was trained for");
        return lengths;
    }

    internal static void Print(RulerReport report, bool json)
    {
        if (json) Console.Out.WriteLine(report.ToJson().ToJsonString(EvalJson.Compact));
        else Console.Out.Write(report.ToText());
    }
}

public sealed class EvalRulerScoreSettings : CommandSettings
{
    [CommandArgument(0, "<DIR>")]
    [Description("A run folder of this tool, the reference's results folder, or one folder of TASK.jsonl prediction files.")]
    public string Dir { get; init; } = "";

    [CommandOption("--json")]
    [Description("Print the scores as one JSON object instead of the table.")]
    public bool Json { get; init; }
}

public sealed class EvalRulerScoreCommand : Command<EvalRulerScoreSettings>
{
    public override int Execute(CommandContext context, EvalRulerScoreSettings settings, CancellationToken cancellationToken)
    {
        var (predictions, loglik) = RulerDirectoryScorer.ScoreAny(settings.Dir);
        if (settings.Json)
        {
            var json = predictions?.ToJson() ?? loglik!.ToJson();
            if (predictions is not null && loglik is not null) json["loglik"] = loglik.ToJson();
            Console.Out.WriteLine(json.ToJsonString(EvalJson.Compact));
            return 0;
        }
        if (predictions is not null) EvalRulerCommand.Print(predictions, json: false);
        if (loglik is not null) Console.Out.Write((predictions is null ? "" : "\n") + loglik.ToText());
        return 0;
    }
}

/// <summary>An IProgress that calls back on the reporting thread (Progress&lt;T&gt; would post to a context).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
