using System.Globalization;
using System.ComponentModel;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Llm;
using EntropyLong.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class ScoreCommand : Command<ScoreCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandOption("--input <FILES>"), Description("Corpus: JSONL (.gz/.zst) or Parquet files, folders or globs")]
        public string[] Input { get; init; } = [];

        [CommandOption("--out <FILE>"), Description("Output JSONL (.gz/.zst to compress)")]
        public string Out { get; init; } = "entropies.jsonl";

        [CommandOption("--quiet")]
        public bool Quiet { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        if (s.Input.Length == 0) throw new UsageException("--input is required");
        var reader = new CorpusReader(s.Input);
        OutputPath.CheckFile(s.Out, reader.Files);
        using var engine = LlamaEngine.Load(Defaults.ModelOrDefault(s.Model), s.ToLlama());
        if (!s.Quiet)
            Progress.Say($"model {engine.Info.Name} ({engine.Info.Architecture}, {engine.Info.Parameters:N0} parameters), vocabulary {engine.Info.VocabSize}, context {engine.Info.ContextLength}, BOS {(engine.Info.AddsBos ? "prepended" : "not used")}{(s.Exact ? ", exact mode" : "")}");
        long docs = 0, tokens = 0;
        // The shape of the entropies at the paper's alpha, per token and per word (the default scorer's unit).
        double alpha = new EntropyLongOptions().Alpha;
        EntropySummary perToken = new(alpha), perWord = new(alpha);
        int bodyStart = engine.Info.AddsBos && engine.Info.BosToken is not null ? 1 : 0;
        using var writer = new JsonlWriter(s.Out);
        Progress.Run(s.Quiet, progress =>
        {
            foreach (var block in reader.Read().Select(r => r.Document).Chunk(16))
            {
                var seqs = block.Select(d => engine.TokenizeWithBos(d.Text)).ToArray();
                var entropy = EntropyStep.Score(engine, seqs, ct);
                for (int i = 0; i < block.Length; i++)
                {
                    writer.Write(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("id", block[i].Id);
                        w.WriteStartArray("tokens");
                        foreach (var t in seqs[i]) w.WriteNumberValue(t);
                        w.WriteEndArray();
                        w.WriteStartArray("entropy");
                        foreach (var h in entropy[i]) if (float.IsNaN(h)) w.WriteNullValue(); else w.WriteNumberValue(MathF.Round(h, 5));
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    tokens += seqs[i].Length;
                    perToken.Add(entropy[i]);
                    perWord.Add(entropy[i], TokenPieces.Of(engine, seqs[i], bodyStart));
                }
                docs += block.Length;
                progress.Report("scoring", reader.TotalBytes == 0 ? double.NaN : (double)reader.BytesRead / reader.TotalBytes, $"{docs:N0} documents, {tokens:N0} tokens");
            }
            return 0;
        });
        writer.Complete();
        if (!s.Quiet)
        {
            Console.Error.WriteLine($"wrote {docs:N0} documents ({tokens:N0} tokens) to {s.Out}");
            Console.Error.WriteLine(Shape("per token", perToken));
            Console.Error.WriteLine(Shape("per word (summed over its tokens, as --word-entropy reads them)", perWord));
            if (reader.Stats.Skipped > 0) Console.Error.WriteLine(reader.Stats.Summary());
        }
        return 0;
    }

    // With a sign, to two places. A value that rounds to zero needs the third section: with two, a tiny negative one
    // (the skewness of two values, which is 0 but for rounding) printed "-+0.00".
    internal static string Signed(double value) => value.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    // Nothing scored (an empty input) has no shape, and units all of one value have no skewness: "-" for it, as other
    // commands print an undefined figure.
    private static string Shape(string unit, EntropySummary e)
    {
        var inv = CultureInfo.InvariantCulture;
        if (e.Units == 0) return string.Create(inv, $"entropy {unit}: none scored ({e.Documents:N0} documents)");
        string skewness = double.IsNaN(e.Skewness) ? "-" : Signed(e.Skewness);
        return string.Create(inv,
            $"entropy {unit}: {e.Units:N0} scored, mean {e.Mean:F3} nats, standard deviation {e.StdDev:F3}, skewness {skewness}, " +
            $"{e.UnderOneNatShare * 100:F1}% under 1 nat, {e.TailShare * 100:F2}% above mean + {e.Alpha:G} std; tau = mean + {e.Alpha:G} std per document " +
            $"(the paper's anchor rule) marks {e.AnchorShare * 100:F2}% of them, in {e.DocumentsWithAnchors:N0} of {e.Documents:N0} documents");
    }
}
