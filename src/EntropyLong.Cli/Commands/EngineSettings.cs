using System.ComponentModel;
using EntropyLong.Llm;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>Options every command that runs the scoring model shares.</summary>
public class EngineSettings : CommandSettings
{
    [CommandOption("--model <GGUF>"), Description("Scoring model (GGUF). Default: data/models/default.gguf")]
    public string? Model { get; init; }

    [CommandOption("--threads <N>"), Description("CPU threads for llama.cpp (and, in build, for the query embedder) (default or 0: all cores)")]
    [OptionRange(0, OptionLimits.Threads)]
    public int? Threads { get; init; }

    [CommandOption("--batch <N>"), Description("Tokens per llama_decode call (default 512)")]
    [OptionRange(1, 65_536)]
    public int Batch { get; init; } = 512;

    [CommandOption("--ctx <N>"), Description("Longest sequence scored (default or 0: the model's training context)")]
    [OptionRange(0, OptionLimits.Tokens)]
    public int Ctx { get; init; }

    [CommandOption("--exact"), Description("F32 KV cache, flash attention off: entropies equal a float64 forward pass to 1e-4")]
    public bool Exact { get; init; }

    [CommandOption("--gpu-layers <N>"), Description("Layers to offload to a GPU (needs a GPU build of llama.cpp, see ENTROPYLONG_LLAMA_LIB; default 0)")]
    [OptionRange(0, 10_000)]
    public int GpuLayers { get; init; }

    [CommandOption("--temperature <T>"), Description("Beyond the paper: entropy of softmax(logits / T); below 1 it sharpens a weak model's flat distributions so uncertain tokens stand out (default 1, the paper's)")]
    [OptionRange(0.05, 20)]
    public float Temperature { get; init; } = 1;

    [CommandOption("--copy-weight <W>"), Description("Beyond the paper: mix into the model's distribution a copy distribution over the tokens that followed earlier matches of the current context, at weight 1 - (1 - W)^(longest match) (a cache LM standing in for the induction heads a small scorer lacks) (default: 0, the paper's, for a --model you name; 0.5 for the shipped default scorer)")]
    [OptionRange(0.0, 1.0, MaxExclusive = true)]
    public float? CopyWeight { get; init; }

    /// <summary>No --model named: the shipped model, read as <see cref="Defaults"/> says the default scorer is.</summary>
    public bool DefaultScorer => Model is not { Length: > 0 };

    /// <summary>The copy weight when --copy-weight is not given: the default scorer's, or the paper's 0.</summary>
    public float DefaultCopyWeight => DefaultScorer ? Defaults.ScorerCopyWeight : 0;

    /// <summary>A window is the context less the BOS token a model may prepend, and a window of one token predicts
    /// nothing, so --ctx is 0 or at least 3.</summary>
    public override ValidationResult Validate() => Ctx is 1 or 2
        ? ValidationResult.Error($"--ctx must be 0 (the model's training context) or at least 3 (got {Ctx})")
        : ValidationResult.Success();

    public LlamaSettings ToLlama() => new()
    {
        Threads = Threads > 0 ? Threads.Value : Environment.ProcessorCount,
        BatchSize = Batch,
        MicroBatchSize = Batch,
        ContextLength = Ctx,
        Exact = Exact,
        GpuLayers = GpuLayers,
        Temperature = Temperature,
        CopyWeight = CopyWeight ?? DefaultCopyWeight,
    };
}
