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
            Console.WriteLine($"precision (share of distinct (document, source) pairs that are links): verified {m.PrecisionVerified:P1} of {m.VerifiedPairs:N0} pairs " +
                              $"(95% interval {m.PrecisionVerifiedInterval[0]:P1} to {m.PrecisionVerifiedInterval[1]:P1}, documents resampled), " +
                              $"top-1 retrieved {m.PrecisionTop1:P1}, any retrieved {m.PrecisionRetrieved:P1}");
            Console.WriteLine($"recall: {m.RecallDocs:P1} of linked documents have a verified chunk from a document they link to");
            Console.WriteLine($"anchors inside a mention of a linked document: {m.AnchorsInMentions:N0} of {m.AnchorsOfLinkedDocuments:N0}");
            if (m.MentionTokenShare > 0)
            {
                Console.WriteLine($"where mentions are known, {m.MentionAnchorShare:P1} of anchors are inside one, against {m.MentionTokenShare:P1} of tokens and {m.MentionWordShare:P1} of words");
                static string Verdicts(VerdictCounts v) => $"a linked candidate passes {v.PassRateLinked:P1}, an unlinked one {v.PassRateUnlinked:P1}, what passes is linked {v.PrecisionPassed:P1} (likelihood ratio {v.LikelihoodRatioText})";
                Console.WriteLine($"verification at anchors inside a mention: {Verdicts(m.AtMentions)}; at the others: {Verdicts(m.Elsewhere)}");
            }
            if (m.ByRank.Count == 0) return 0;
            Console.WriteLine("verification by retrieval rank (judged candidates of linked documents; likelihood ratio: how many times as often a linked one passes):");
            Console.WriteLine($"{"ranks",-7} {"judged",8} {"linked",7} {"passed",7} {"passed: linked",14} {"linked pass",11} {"unlinked pass",13} {"likelihood ratio",16}");
            foreach (var b in m.ByRank)
                Console.WriteLine($"{b.Ranks,-7} {b.Judged,8:N0} {b.LinkRate,7:P1} {b.Passed,7:N0} {b.PrecisionPassed,14:P1} {b.PassRateLinked,11:P1} {b.PassRateUnlinked,13:P1} {b.LikelihoodRatioText,16}");
        }
        return 0;
    }
}
