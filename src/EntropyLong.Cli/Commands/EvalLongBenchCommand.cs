using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Eval;
using EntropyLong.Eval.LongBench;
using EntropyLong.Eval.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class EvalLongBenchSettings : EvalModelSettings
{
    [CommandOption("--data <FILE>")]
    [Description("LongBench-v2 data as JSON or JSON lines in the published field layout (_id, domain, ..., context).")]
    public string? Data { get; init; }

    [CommandOption("--out <FILE>")]
    [Description("Results, one JSON line per question (default results/MODEL.jsonl, or MODEL_cot.jsonl). A re-run skips questions already there.")]
    public string? Out { get; init; }

    [CommandOption("--max-prompt-tokens <N>")]
    [Description("Token budget of a prompt; longer prompts keep the first and last halves (reference: 120000).")]
    [DefaultValue(120000)]
    [OptionRange(16, OptionLimits.Tokens)]
    public int MaxPromptTokens { get; init; } = 120000;

    [CommandOption("--cot")]
    [Description("Chain-of-thought variant: 1024 tokens of reasoning, then a second prompt for the answer.")]
    public bool Cot { get; init; }

    [CommandOption("--temperature <T>")]
    [Description("Sampling temperature (reference 0.1; 0 for greedy).")]
    [DefaultValue(0.1)]
    [OptionRange(0, 10)]
    public double Temperature { get; init; } = 0.1;

    [CommandOption("--limit <N>")]
    [Description("Only the first N questions.")]
    [OptionRange(1, 1_000_000)]
    public int? Limit { get; init; }

    public override ValidationResult Validate()
    {
        var v = base.Validate();
        if (!v.Successful) return v;
        if (string.IsNullOrWhiteSpace(Data)) return ValidationResult.Error("--data is required (the LongBench-v2 JSON file)");
        return ValidationResult.Success();
    }
}

public sealed class EvalLongBenchCommand : AsyncCommand<EvalLongBenchSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EvalLongBenchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Out is { } given) OutputPath.CheckFile(given, [settings.Data!]);
        var data = LongBenchV2.Load(settings.Data!);
        int generated = settings.Cot ? 1024 : 128;
        var open = settings.OpenOptions(settings.MaxPromptTokens + generated + EvalModelSettings.ContextSlack);
        string DefaultOut(string modelName) => Path.Combine("results", $"{modelName.Split('/')[^1]}{(settings.Cot ? "_cot" : "")}.jsonl");
        // The results file is checked before the model is loaded. Its default name is the model's: a GGUF's file name,
        // or what the server serves, known before connecting only when --served-model names it.
        string? known = TextModels.IsUrl(open.Model) ? settings.ServedModel : Path.GetFileNameWithoutExtension(open.Model);
        string? outFile = settings.Out ?? (known is null ? null : DefaultOut(known));
        if (outFile is not null) LongBenchRunner.CheckOutFile(outFile);
        using var model = await TextModels.OpenAsync(open, cancellationToken);
        if (outFile is null)
        {
            outFile = DefaultOut(model.Name);
            LongBenchRunner.CheckOutFile(outFile);
        }
        EvalConsole.Info($"model: {model.Name}; tokens counted by {model.Tokenizer.Description}; results: {outFile}");
        EvalConsole.WarnIfBeyondTraining(model, settings.MaxPromptTokens + generated);
        var table = await EvalConsole.WithProgress(sink =>
            new LongBenchRunner(model, new SyncProgress<(int Done, int Total)>(p => sink("LongBench-v2", p.Done, p.Total)))
                .RunAsync(data, new LongBenchOptions
                {
                    OutFile = outFile,
                    MaxPromptTokens = settings.MaxPromptTokens,
                    ChainOfThought = settings.Cot,
                    Temperature = settings.Temperature,
                    Limit = settings.Limit,
                }, cancellationToken));
        Console.Out.Write(settings.Json ? table.ToJson(model.Name).ToJsonString(EvalJson.Compact) + "\n" : table.ToText(model.Name));
        return 0;
    }
}

public sealed class EvalLongBenchScoreSettings : CommandSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("A results file: JSON lines (or a JSON array) with difficulty, length and judge per question.")]
    public string File { get; init; } = "";

    [CommandOption("--json")]
    [Description("Print the scores as one JSON object instead of the table.")]
    public bool Json { get; init; }
}

public sealed class EvalLongBenchScoreCommand : Command<EvalLongBenchScoreSettings>
{
    public override int Execute(CommandContext context, EvalLongBenchScoreSettings settings, CancellationToken cancellationToken)
    {
        var results = LongBenchRunner.ReadResults(settings.File);
        if (results.Count == 0) throw new UserInputException($"{settings.File}: no LongBench-v2 results to score");
        var table = LongBenchTable.From(results);
        string name = Path.GetFileNameWithoutExtension(settings.File);
        Console.Out.Write(settings.Json ? table.ToJson(name).ToJsonString(EvalJson.Compact) + "\n" : table.ToText(name));
        return 0;
    }
}
