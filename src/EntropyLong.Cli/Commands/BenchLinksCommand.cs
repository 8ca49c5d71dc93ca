using System.ComponentModel;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Report;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>entropylong bench links: how often a build's verified chunks, top retrieved chunks and all retrieved chunks
/// come from a document the root document links to.</summary>
public sealed class BenchLinksCommand : Command<BenchLinksCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--build <DIR>"), Description("A finished build folder (with details.jsonl)")]
        public string Build { get; init; } = "";
        [CommandOption("--links <FILE>"), Description("JSON lines {\"id\": ..., \"links\": [[ids]]} (optionally \"mentions\"); default: the build's corpus files, when their records carry links")]
        public string? Links { get; init; }
        [CommandOption("--json"), Description("Print one JSON object")]
        public bool Json { get; init; }

        public override ValidationResult Validate() => Build.Length == 0 ? ValidationResult.Error("--build is required") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var build = new BuildFiles(s.Build);
        var links = s.Links is { } path ? LinkMeasurement.Read(path) : LinkMeasurement.CorpusLinks(build);
        if (links.Count == 0) throw new UserInputException($"{s.Links ?? s.Build}: no record carries \"links\"");
        var m = LinkMeasurement.Measure(build, links);
        if (s.Json) Console.WriteLine(JsonSerializer.Serialize(m));
        else
        {
            Console.WriteLine($"{m.DocumentsRead:N0} documents read, {m.DocumentsUsed:N0} used, {m.Anchors:N0} anchors; {m.LinkedDocuments:N0} documents have links");
            string interval = m.PrecisionVerifiedInterval is [var low, var high] ? $" (95% interval {Pct(low)} to {Pct(high)}, documents resampled)" : "";
            Console.WriteLine($"precision (share of distinct (document, source) pairs that are links): verified {Pct(m.PrecisionVerified)} of {m.VerifiedPairs:N0} pairs" +
                              $"{interval}, " +
                              $"top-1 retrieved {Pct(m.PrecisionTop1)}, any retrieved {Pct(m.PrecisionRetrieved)}");
            Console.WriteLine($"recall: {Pct(m.RecallDocs)} of linked documents have a verified chunk from a document they link to");
            Console.WriteLine($"anchors inside a mention of a linked document: {m.AnchorsInMentions:N0} of {m.AnchorsOfLinkedDocuments:N0}");
            if (m.MentionTokenShare > 0)
            {
                Console.WriteLine($"where mentions are known, {Pct(m.MentionAnchorShare)} of anchors are inside one, against {Pct(m.MentionTokenShare)} of tokens and {Pct(m.MentionWordShare)} of words");
                static string Verdicts(VerdictCounts v) => $"a linked candidate passes {Pct(v.PassRateLinked)}, an unlinked one {Pct(v.PassRateUnlinked)}, what passes is linked {Pct(v.PrecisionPassed)} (likelihood ratio {v.LikelihoodRatioText})";
                Console.WriteLine($"verification at anchors inside a mention: {Verdicts(m.AtMentions)}; at the others: {Verdicts(m.Elsewhere)}");
            }
            if (m.ByRank.Count == 0) return 0;
            Console.WriteLine("verification by retrieval rank (judged candidates of linked documents; likelihood ratio: how many times as often a linked one passes):");
            Console.WriteLine($"{"ranks",-7} {"judged",8} {"linked",7} {"passed",7} {"passed: linked",14} {"linked pass",11} {"unlinked pass",13} {"likelihood ratio",16}");
            foreach (var b in m.ByRank)
                Console.WriteLine($"{b.Ranks,-7} {b.Judged,8:N0} {Pct(b.LinkRate),7} {b.Passed,7:N0} {Pct(b.PrecisionPassed),14} {Pct(b.PassRateLinked),11} {Pct(b.PassRateUnlinked),13} {b.LikelihoodRatioText,16}");
        }
        return 0;
    }

    // A share as percent; "-" where nothing was there to count (a baseline verifies no pair).
    private static string Pct(double? share) => share?.ToString("P1") ?? "-";
}
