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
    [Description("Comma-separated lengths in tokens (prompt + tokens to generate). Default: the paper's 8192,16384,32768,65536,131072.")]
    [DefaultValue("8192,16384,32768,65536,131072")]
    [OptionRange(256, OptionLimits.Tokens)]
    public string Lengths { get; init; } = "8192,16384,32768,65536,131072";

    [CommandOption("--samples <N>")]
    [Description("Samples per task and length (reference default 500).")]
    [DefaultValue(500)]
    [OptionRange(1, 1_000_000)]
    public int Samples { get; init; } = 500;

    [CommandOption("--tasks <LIST>")]
    [Description("`all` or comma-separated task names: niah_single_1..3, niah_multikey_1..3, niah_multivalue, niah_multiquery, vt, cwe, fwe, qa_1, qa_2.")]
    [DefaultValue("all")]
    public string Tasks { get; init; } = "all";

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
        return ValidationResult.Success();
    }

    public List<int> ParseLengths() => OptionRangeAttribute.WholeNumbers(Lengths).Distinct().ToList();

    public List<RulerTask> ParseTasks()
    {
        if (Tasks.Trim() == "all") return RulerTasks.All.ToList();
        return Tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => RulerTasks.Find(n) ?? throw new UserInputException($"--tasks: unknown task \"{n}\"; known: {string.Join(", ", RulerTasks.All.Select(t => t.Name))}"))
            .Distinct().ToList();
    }
}

public sealed class EvalRulerCommand : AsyncCommand<EvalRulerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EvalRulerSettings settings, CancellationToken cancellationToken)
    {
        var lengths = settings.ParseLengths();
        var tasks = settings.ParseTasks();
        var essay = settings.Haystack is null ? EssayHaystack.Default() : EssayHaystack.FromFile(settings.Haystack);
        var squad = settings.Squad is null ? null : QaData.ReadSquad(settings.Squad);
        var hotpot = settings.HotpotQa is null ? null : QaData.ReadHotpotQa(settings.HotpotQa);
        using var model = await TextModels.OpenAsync(settings.OpenOptions(lengths.Max() + EvalModelSettings.ContextSlack), cancellationToken);
        EvalConsole.Info($"model: {model.Name} ({(TextModels.IsUrl(settings.Model ?? "") ? (settings.Chat ? "chat" : "completions") + " at " + settings.Model : "llama.cpp in-process")}); " +
                         $"tokens counted by {model.Tokenizer.Description}; essay haystack: {essay.Description}");
        EvalConsole.WarnIfBeyondTraining(model, lengths.Max());
        var inputs = new RulerInputs(essay, squad, hotpot);
        var options = new RulerRunOptions { Lengths = lengths, Tasks = tasks, Samples = settings.Samples, OutDir = settings.Out!, Seed = settings.Seed };
        var report = await EvalConsole.WithProgress(sink =>
            new RulerRunner(model, inputs, EvalConsole.Notice, new SyncProgress<RulerProgress>(p => sink(p.Stage, p.Done, p.Total)))
                .RunAsync(options, cancellationToken));
        Print(report, settings.Json);
        return 0;
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
        EvalRulerCommand.Print(RulerDirectoryScorer.Score(settings.Dir), settings.Json);
        return 0;
    }
}

/// <summary>An IProgress that calls back on the reporting thread (Progress&lt;T&gt; would post to a context).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
