using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using EntropyLong.Report;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>entropylong compare: what changed between two builds of the same documents (another scoring model, a later
/// checkpoint, other settings).</summary>
public sealed class CompareCommand : Command<CompareCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<OUT_A>"), Description("A finished build folder (with details.jsonl)")]
        public string A { get; init; } = "";
        [CommandArgument(1, "<OUT_B>"), Description("Another one, compared with the first over the documents both scored")]
        public string B { get; init; } = "";
        [CommandOption("--json"), Description("Print one JSON object")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var c = BuildComparison.Of(new BuildFiles(s.A), new BuildFiles(s.B));
        if (s.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(c));
            return 0;
        }
        Console.WriteLine($"documents read: A {c.DocumentsA:N0}, B {c.DocumentsB:N0}, both {c.DocumentsBoth:N0}; scored by both {c.DocumentsScoredBoth:N0} " +
                          "(everything below is over these)");
        // A document one build ruled out before scoring (longer than its --seq-len, contaminated) has no anchors to compare.
        if (c.SkippedByAScoredByB + c.SkippedByBScoredByA > 0)
            Console.WriteLine($"ruled out before scoring: by A but scored by B {c.SkippedByAScoredByB:N0}, by B but scored by A {c.SkippedByBScoredByA:N0}");
        Console.WriteLine($"anchors (matched by the character where the anchor token starts): both {c.Anchors.Both:N0}, A only {c.Anchors.AOnly:N0}, " +
                          $"B only {c.Anchors.BOnly:N0}; Jaccard {c.Anchors.Jaccard:F3} pooled, {c.AnchorJaccardPerDocument:F3} mean per document");
        Console.WriteLine($"verified (document, chunk) pairs: both {c.VerifiedPairs.Both:N0}, A only {c.VerifiedPairs.AOnly:N0}, " +
                          $"B only {c.VerifiedPairs.BOnly:N0}; Jaccard {c.VerifiedPairs.Jaccard:F3}");
        Console.WriteLine($"{"",-16}{"A",12}{"B",12}{"change",12}");
        // format: a custom numeric format, so the change can carry its sign; "-" where a value is undefined.
        void Row(string name, double? a, double? b, string format)
        {
            string Cell(double? x, string f) => x?.ToString(f, CultureInfo.InvariantCulture) ?? "-";
            Console.WriteLine($"{name,-16}{Cell(a, format),12}{Cell(b, format),12}{Cell(b - a, $"+{format};-{format};0"),12}");
        }
        Row("documents used", c.CountsA.DocumentsUsed, c.CountsB.DocumentsUsed, "#,0");
        Row("anchors", c.CountsA.Anchors, c.CountsB.Anchors, "#,0");
        Row("verified pairs", c.CountsA.VerifiedPairs, c.CountsB.VerifiedPairs, "#,0");
        Row("mean dI", c.CountsA.MeanDelta, c.CountsB.MeanDelta, "0.000");
        return 0;
    }
}
