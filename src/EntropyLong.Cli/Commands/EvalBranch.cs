using System.ComponentModel;
using EntropyLong.Eval.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public static class EvalBranch
{
    /// <summary>`eval ruler` (run), `eval ruler score DIR`, `eval longbench-v2` (run), `eval longbench-v2 score FILE`.</summary>
    public static void AddEval(this IConfigurator config) => config.AddBranch("eval", eval =>
    {
        eval.SetDescription("Benchmarks as the papers report them: RULER and LongBench-v2.");
        eval.AddBranch("ruler", r =>
        {
            r.SetDescription("RULER (13 synthetic tasks x lengths): `eval ruler [[OPTIONS]]` generates, predicts and scores " +
                             "(options: `eval ruler run --help`); `eval ruler score DIR` scores existing predictions.");
            r.SetDefaultCommand<EvalRulerCommand>();
            r.AddCommand<EvalRulerCommand>("run").WithDescription("The same as `eval ruler`: generate, predict, score.");
            r.AddCommand<EvalRulerScoreCommand>("score").WithDescription("Score RULER prediction files (this tool's or the reference tooling's).");
        });
        eval.AddBranch("longbench-v2", l =>
        {
            l.SetDescription("LongBench-v2 (503 four-choice questions): `eval longbench-v2 [[OPTIONS]]` predicts and scores " +
                             "(options: `eval longbench-v2 run --help`); `eval longbench-v2 score FILE` scores a results file.");
            l.SetDefaultCommand<EvalLongBenchCommand>();
            l.AddCommand<EvalLongBenchCommand>("run").WithDescription("The same as `eval longbench-v2`: predict and score.");
            l.AddCommand<EvalLongBenchScoreCommand>("score").WithDescription("Score a LongBench-v2 results file (this tool's or pred.py's).");
        });
    });
}

/// <summary>Options shared by the commands that run a model.</summary>
public abstract class EvalModelSettings : CommandSettings
{
    /// <summary>Context beyond the benchmark length for an in-process model: lengths are counted without special
    /// tokens, and the prompt gets BOS when run.</summary>
    public const int ContextSlack = 16;

    [CommandOption("--model <MODEL>")]
    [Description("A GGUF file (run in-process by llama.cpp) or an OpenAI-compatible server, http(s)://host:port/v1. Default: data/models/default.gguf")]
    public string? Model { get; init; }

    [CommandOption("--context <TOKENS>")]
    [Description("In-process model: context to allocate (default: what the run needs).")]
    [OptionRange(0, OptionLimits.Tokens)]
    public int Context { get; init; }

    [CommandOption("--threads <N>")]
    [Description("In-process model: CPU threads (default: all cores).")]
    [OptionRange(0, OptionLimits.Threads)]
    public int Threads { get; init; }

    [CommandOption("--gpu-layers <N>")]
    [Description("In-process model: layers to offload to a GPU (needs a GPU build of llama.cpp, see ENTROPYLONG_LLAMA_LIB).")]
    [OptionRange(0, 10_000)]
    public int GpuLayers { get; init; }

    [CommandOption("--tokenizer <GGUF>")]
    [Description("Server: count tokens with this GGUF's vocabulary instead of the server's /tokenize.")]
    public string? Tokenizer { get; init; }

    [CommandOption("--chat")]
    [Description("Server: send the prompt as one user message to /v1/chat/completions (instruct models). Default: /v1/completions with the raw prompt.")]
    public bool Chat { get; init; }

    [CommandOption("--served-model <NAME>")]
    [Description("Server: the model name to request (default: the first one /v1/models lists).")]
    public string? ServedModel { get; init; }

    [CommandOption("--api-key-env <VAR>")]
    [Description("Server: environment variable holding the API key (default OPENAI_API_KEY). The key is never printed.")]
    [DefaultValue("OPENAI_API_KEY")]
    public string ApiKeyEnv { get; init; } = "OPENAI_API_KEY";

    [CommandOption("--concurrency <N>")]
    [Description("Server: requests in flight at once (default 4).")]
    [DefaultValue(4)]
    [OptionRange(1, 1024)]
    public int Concurrency { get; init; } = 4;

    [CommandOption("--timeout <SECONDS>")]
    [Description("Server: seconds to wait for one answer (default 600).")]
    [DefaultValue(600)]
    [OptionRange(1, 604_800)]
    public int Timeout { get; init; } = 600;

    [CommandOption("--retries <N>")]
    [Description("Server: tries per request on connection errors, timeouts, 429 and 5xx, with doubling back-off (default 5).")]
    [DefaultValue(5)]
    [OptionRange(1, 100)]
    public int Retries { get; init; } = 5;

    [CommandOption("--json")]
    [Description("Print the scores as one JSON object instead of the table.")]
    public bool Json { get; init; }

    public override ValidationResult Validate()
    {
        if (Tokenizer is not null && !TextModels.IsUrl(Model ?? "")) return ValidationResult.Error("--tokenizer applies to a server; a GGUF model uses its own vocabulary");
        return ValidationResult.Success();
    }

    public ModelOpenOptions OpenOptions(int neededContext) => new()
    {
        Model = TextModels.IsUrl(Model ?? "") ? Model! : Defaults.ModelOrDefault(Model),
        ContextLength = Context > 0 ? Context : neededContext,
        Threads = Threads,
        GpuLayers = GpuLayers,
        Tokenizer = Tokenizer,
        Chat = Chat,
        ServedModel = ServedModel,
        ApiKeyVariable = ApiKeyEnv,
        Concurrency = Concurrency,
        Timeout = TimeSpan.FromSeconds(Timeout),
        MaxTries = Retries,
    };
}

/// <summary>stderr output of the eval commands: notices, and progress by stage (see <see cref="Progress"/>).</summary>
internal static class EvalConsole
{
    public static void Notice(string message) => Progress.Say(message);

    public static void Info(string message) => Progress.Say(message);

    /// <summary>Says so when an in-process model runs past the context it was trained with.</summary>
    public static void WarnIfBeyondTraining(ITextModel model, int longest)
    {
        if (model is LlamaCppModel { TrainedContextLength: > 0 } m && longest > m.TrainedContextLength)
            Notice($"note: {m.Name} was trained with {m.TrainedContextLength} tokens of context; {longest} goes beyond it (RoPE extrapolation)");
    }

    /// <summary>Runs <paramref name="run"/> with a progress sink keyed by stage name (done of total; total 0 while unknown).</summary>
    public static Task<T> WithProgress<T>(Func<Action<string, int, int>, Task<T>> run) =>
        Progress.RunAsync(quiet: false, progress =>
            run((stage, done, total) => progress.Report(stage, total > 0 ? (double)done / total : double.NaN, total > 0 ? $"{done}/{total}" : "")));
}
