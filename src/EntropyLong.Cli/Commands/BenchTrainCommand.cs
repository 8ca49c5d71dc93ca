using System.ComponentModel;
using EntropyLong.Bench;
using EntropyLong.Llm;
using EntropyLong.Llm.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BenchTrainSettings : CommandSettings
{
    [CommandOption("--vocab <N>"), OptionRange(300, 1_000_000)] public int Vocab { get; init; } = 4096;
    [CommandOption("--dim <N>"), OptionRange(8, 65_536)] public int Dim { get; init; } = 128;
    [CommandOption("--layers <N>"), OptionRange(1, 1024)] public int Layers { get; init; } = 4;
    [CommandOption("--heads <N>"), OptionRange(1, 1024)] public int Heads { get; init; } = 4;
    [CommandOption("--kv-heads <N>"), OptionRange(1, 1024)] public int? KvHeads { get; init; }
    [CommandOption("--ffn <N>"), OptionRange(1, 1_000_000)] public int? Ffn { get; init; }
    [CommandOption("--ctx <N>"), Description("Context lengths to compare, comma-separated.")]
    [OptionRange(8, OptionLimits.Tokens)]
    public string Ctx { get; init; } = "256,1024";
    [CommandOption("--micro-batch <N>"), OptionRange(1, 1_000_000)] public int MicroBatch { get; init; } = 1;
    [CommandOption("--iterations <N>"), OptionRange(1, 1_000_000)] public int Iterations { get; init; } = 3;
    [CommandOption("--threads <N>"), OptionRange(0, OptionLimits.Threads)] public int Threads { get; init; }

    public override ValidationResult Validate() => TrainSettings.ValidateShape(Dim, Heads, KvHeads);
}

/// <summary>entropylong bench train: tokens/s of the ggml training graph, forward vs forward+backward, per context length.</summary>
public sealed class BenchTrainCommand : Command<BenchTrainSettings>
{
    public override int Execute(CommandContext context, BenchTrainSettings s, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumns("ctx", "forward tok/s", "forward+backward tok/s", "forward+backward time (x forward)", "AdamW ms", "ggml MiB");
        foreach (var ctx in OptionRangeAttribute.WholeNumbers(s.Ctx))
        {
            var c = new LlamaConfig(s.Vocab, s.Dim, s.Layers, s.Heads, s.KvHeads ?? s.Heads, s.Ffn ?? (8 * s.Dim / 3 + 31) / 32 * 32, ctx);
            var r = TrainerBenchmark.Measure(c, s.MicroBatch, s.Threads, s.Iterations);
            table.AddRow(ctx.ToString(), r.ForwardTokensPerSecond.ToString("F0"), r.ForwardBackwardTokensPerSecond.ToString("F0"),
                (r.ForwardTokensPerSecond / r.ForwardBackwardTokensPerSecond).ToString("F2"), r.AdamMilliseconds.ToString("F1"), (r.MemoryBytes >> 20).ToString());
        }
        Console.WriteLine($"dim {s.Dim}, {s.Layers} layers, {s.Heads} heads, vocab {s.Vocab}, micro-batch {s.MicroBatch}, threads {(s.Threads > 0 ? s.Threads : Environment.ProcessorCount)}");
        AnsiConsole.Write(table);
        return 0;
    }
}
