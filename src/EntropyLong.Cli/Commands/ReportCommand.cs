using System.ComponentModel;
using EntropyLong.Data;
using EntropyLong.Report;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<BUILD>"), Description("Output folder of `entropylong build`")]
        public string Build { get; init; } = "";
        [CommandOption("--out <DIR>"), Description("Where report.html and the PNG charts go (default: <BUILD>/report)")]
        public string? Out { get; init; }
        [CommandOption("--samples <N>"), Description("Documents embedded in the viewer, the first ones in input order (200)")]
        [OptionRange(1, 1_000_000)]
        public int Samples { get; init; } = 200;
        [CommandOption("--sample <ID>"), Description("Embed this document (repeatable); replaces --samples")]
        public string[] SampleIds { get; init; } = [];
        [CommandOption("--max-mb <MB>"), Description("Page size budget for embedded documents; past it they come without their text (24)")]
        [OptionRange(1, 65_536)]
        public int MaxMb { get; init; } = 24;
        [CommandOption("--quiet")]
        public bool Quiet { get; init; }

    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        string outDir = s.Out ?? Path.Combine(s.Build, "report");
        OutputPath.CheckFolder(outDir, Path.Combine(s.Build, BuildFolder.Mds), Path.Combine(s.Build, BuildFolder.Parquet));
        var result = ReportWriter.Write(s.Build, outDir,
            new ReportOptions { MaxSamples = s.Samples, SampleIds = s.SampleIds, MaxEmbeddedBytes = (long)s.MaxMb << 20 }, ct);
        if (!s.Quiet)
        {
            Stdout.MarkupLine($"report: {Markup.Escape(Path.GetFullPath(result.HtmlPath))} ({result.HtmlBytes / 1024.0:N0} KiB, " +
                $"{result.DocumentsEmbedded:N0} of {result.DocumentsTotal:N0} documents in the viewer" +
                (result.DocumentsWithoutText > 0 ? $", {result.DocumentsWithoutText:N0} without text" : "") + ")");
            Stdout.MarkupLine($"charts: {string.Join(", ", result.PngPaths.Select(p => Markup.Escape(Path.GetFileName(p))))} in {Markup.Escape(Path.GetFullPath(outDir))}/");
        }
        return 0;
    }
}
