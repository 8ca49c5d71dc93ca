using System.ComponentModel;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>The options that choose the embedding model, shared by index, search and bench embed.</summary>
public class EmbeddingModelSettings : CommandSettings
{
    [CommandOption("--model <DIR>")]
    [Description("ONNX sentence-embedding model folder (model.onnx + vocab.txt [[+ embedding.json]]). Default: built-in snowflake-arctic-embed-xs.")]
    public string? Model { get; init; }

    [CommandOption("--pooling <cls|mean>")]
    [Description("Pooling of token vectors; default: the model's (arctic: cls; other folders: embedding.json, else mean).")]
    public string? Pooling { get; init; }

    [CommandOption("--query-prefix <TEXT>")]
    [Description("Text put before every query; default: the model's (arctic: \"Represent this sentence for searching relevant passages: \").")]
    public string? QueryPrefix { get; init; }

    [CommandOption("--embed-batch <N>")]
    [Description("Most texts per ONNX Runtime call.")]
    [DefaultValue(32)]
    [OptionRange(1, 4096)]
    public int EmbedBatch { get; init; } = 32;

    [CommandOption("--embed-tokens <N>")]
    [Description("Most token positions per ONNX Runtime call, padding included; texts are grouped by length. 512 suits CPUs; give a GPU thousands.")]
    [DefaultValue(512)]
    [OptionRange(1, 16_777_216)]
    public int EmbedTokens { get; init; } = 512;

    [CommandOption("--device <DEVICE>")]
    [Description("Where ONNX Runtime embeds: cpu, or cuda (needs a CUDA build of ONNX Runtime named by ENTROPYLONG_ORT_LIB; see docs/retrieval.md).")]
    [DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";

    public override ValidationResult Validate() =>
        Device is not ("cpu" or "cuda") ? ValidationResult.Error($"--device must be cpu or cuda, not '{Device}'")
        : Pooling?.ToLowerInvariant() is not (null or "cls" or "mean") ? ValidationResult.Error($"--pooling must be 'cls' or 'mean', not '{Pooling}'")
        : ValidationResult.Success();

    public EmbeddingModelOptions ToOptions() => new()
    {
        ModelDirectory = Model,
        Pooling = Pooling?.ToLowerInvariant() switch { null => null, "mean" => Retrieval.Pooling.Mean, _ => Retrieval.Pooling.Cls },
        QueryPrefix = QueryPrefix,
        BatchSize = EmbedBatch,
        TokenBudget = EmbedTokens,
        Device = Device == "cuda" ? EmbeddingDevice.Cuda : EmbeddingDevice.Cpu,
    };
}
