using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Retrieval;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>The options that choose the embedding model, shared by index, search and bench embed.</summary>
public class EmbeddingModelSettings : CommandSettings
{
    [CommandOption("--model <DIR>")]
    [Description("ONNX sentence-embedding model folder (model.onnx + vocab.txt [+ embedding.json]). Default: built-in snowflake-arctic-embed-xs.")]
    public string? Model { get; init; }

    [CommandOption("--pooling <cls|mean>")]
    [Description("Pooling of token vectors; default: the model's (arctic: cls; other folders: embedding.json, else mean).")]
    public string? Pooling { get; init; }

    [CommandOption("--query-prefix <TEXT>")]
    [Description("Text put before every query; default: the model's (arctic: \"Represent this sentence for searching relevant passages: \").")]
    public string? QueryPrefix { get; init; }

    [CommandOption("--embed-batch <N>")]
    [Description("Texts per ONNX Runtime call.")]
    [DefaultValue(32)]
    [OptionRange(1, 4096)]
    public int EmbedBatch { get; init; } = 32;

    public EmbeddingModelOptions ToOptions() => new()
    {
        ModelDirectory = Model,
        Pooling = Pooling is null ? null : Pooling.ToLowerInvariant() switch
        {
            "cls" => Retrieval.Pooling.Cls,
            "mean" => Retrieval.Pooling.Mean,
            _ => throw new UserInputException($"--pooling must be 'cls' or 'mean', not '{Pooling}'"),
        },
        QueryPrefix = QueryPrefix,
        BatchSize = EmbedBatch,
    };
}
