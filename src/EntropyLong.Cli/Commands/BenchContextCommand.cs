using System.ComponentModel;
using System.IO.Compression;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Llm;
using EntropyLong.Llm.Evaluation;
using EntropyLong.Llm.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class BenchContextSettings : CommandSettings
{
    [CommandOption("--model <PATH>"), Description("GGUF model to measure.")]
    public string Model { get; init; } = "";
    [CommandOption("--corpus <PATH>"), Description("JSONL corpus (optionally .gz); its held-out documents are scored.")]
    public string Corpus { get; init; } = "";
    [CommandOption("--rare-max-docs <N>"), Description("A word is rare when at most this many corpus documents contain it.")]
    [OptionRange(1, 1_000_000_000)]
    public int RareMaxDocs { get; init; } = 5;
    [CommandOption("--all-documents"), Description("Score every document, not only the held-out ones.")]
    public bool AllDocuments { get; init; }
    [CommandOption("--threads <N>"), OptionRange(0, OptionLimits.Threads)] public int Threads { get; init; }

    public override ValidationResult Validate() =>
        Model.Length == 0 || Corpus.Length == 0 ? ValidationResult.Error("--model and --corpus are required") : ValidationResult.Success();
}

/// <summary>entropylong bench context: does the model use its context? Entropy at repeated rare words, first vs later.</summary>
public sealed class BenchContextCommand : Command<BenchContextSettings>
{
    public override int Execute(CommandContext context, BenchContextSettings s, CancellationToken cancellationToken)
    {
        var corpus = TrainCommand.ReadCorpus(s.Corpus, Console.Error.WriteLine);
        var df = RepeatEntropy.DocumentFrequencies(corpus);
        var docs = corpus.Where(d => s.AllDocuments || TrainingData.IsHeldOut(d.Id)).ToList();
        if (docs.Count == 0)
            throw new UserInputException($"{s.Corpus}: none of its {corpus.Count:N0} documents is held out (SHA-256 of the id, bucket 0 of 20); nothing to measure: give --all-documents, or a larger corpus");
        using var engine = LlamaEngine.Load(s.Model, new LlamaSettings { Exact = true, Threads = s.Threads > 0 ? s.Threads : Environment.ProcessorCount, KvContexts = 1, MaxSequences = 1 });
        var r = RepeatEntropy.Measure(engine, docs, df, s.RareMaxDocs);
        if (r.First.Occurrences == 0) throw new UserInputException($"{s.Corpus}: no rare word (in at most {s.RareMaxDocs} documents) is repeated within a document; nothing to compare");
        var table = new Table().AddColumns("occurrence", "occurrences", "tokens", "mean entropy (nats)", "inner tokens", "inner mean entropy (nats)");
        foreach (var (name, o) in new[] { ("first", r.First), ("repeat", r.Repeat) })
            table.AddRow(name, o.Occurrences.ToString("N0"), o.Tokens.ToString("N0"), F(o.MeanEntropy, "F4"), o.InnerTokens.ToString("N0"), F(o.InnerMeanEntropy, "F4"));
        Console.WriteLine($"{s.Model}: {r.Documents} {(s.AllDocuments ? "" : "held-out ")}documents, {r.RareWords} rare words (in <= {s.RareMaxDocs} documents) repeated within a document; mean entropy over all tokens {F(r.AllTokensMeanEntropy, "F4")}");
        AnsiConsole.Write(table);
        Console.WriteLine($"repeat / first: {F(r.Repeat.MeanEntropy / r.First.MeanEntropy, "F3")} (all tokens), {F(r.Repeat.InnerMeanEntropy / r.First.InnerMeanEntropy, "F3")} (inner tokens)");
        var copy = RepeatEntropy.MeasureCopy(engine, docs);
        Console.WriteLine($"each document followed by a copy of itself ({copy.Documents} documents, {copy.TokensPerCopy:N0} tokens per copy): " +
            $"first copy {F(copy.FirstCopyMeanEntropy, "F4")} nats, second copy {F(copy.SecondCopyMeanEntropy, "F4")} (second / first: {F(copy.SecondCopyMeanEntropy / copy.FirstCopyMeanEntropy, "F3")})");
        return 0;
    }

    // Undefined (a mean of no tokens, or a ratio of one) is "-".
    private static string F(double x, string format) => double.IsFinite(x) ? x.ToString(format) : "-";
}
