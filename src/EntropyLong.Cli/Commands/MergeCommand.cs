using System.ComponentModel;
using EntropyLong.Data;
using EntropyLong.Pipeline.Tasks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

public sealed class MergeCommand : Command<MergeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<OUT>"), Description("Output folder of `entropylong build --shards N`")]
        public string Out { get; init; } = "";
    }

    /// <summary>Merges the finished shard tasks (null when another worker holds the merge lock). A merge that cannot
    /// write its output is one line: the cause (a full disk as such, with the file), and how to finish, since the shard
    /// tasks it reads are kept.</summary>
    internal static Core.BuildStats? Merge(ShardedBuild job, string outDir)
    {
        try
        {
            return job.TryMerge();
        }
        catch (IOException e)
        {
            throw Failed(outDir, e);
        }
    }

    internal static Core.UserInputException Failed(string outDir, IOException e)
    {
        bool full = Core.DiskFull.Is(e);
        return new Core.UserInputException($"{outDir}: the merge failed: {(full ? Core.DiskFull.Message(e) : e.Message)}; the shard tasks are kept: " +
                                           $"{(full ? "free disk space" : "fix the cause")} and run `entropylong merge {Shell.QuotePath(outDir)}`", e);
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        if (!Directory.Exists(s.Out)) throw Core.UserInputException.FolderNotFound(s.Out, "build folder");
        var job = ShardedBuild.Load(s.Out);
        var missing = Enumerable.Range(0, job.Plan.Shards).Where(i => !job.Tasks.IsDone(BuildFolder.BuildTask(i))).ToList();
        if (missing.Count > 0)
            throw new Core.UserInputException($"{s.Out}: {missing.Count} of {job.Plan.Shards} build tasks are not done (first: {BuildFolder.BuildTask(missing[0])}" +
                $"{(job.Tasks.FailureOf(BuildFolder.BuildTask(missing[0])) is { } f ? $", failed: {f.Trim()}" : "")}); run the build again with the same arguments");
        var stats = Merge(job, s.Out) ?? throw new Core.UserInputException($"{s.Out}: another worker is merging right now (tasks/merge.lock is held)");
        BuildCommand.PrintSummary(stats, job.Output.SequencesFile);
        Stdout.MarkupLine($"merged {job.Plan.Shards} shards into {Markup.Escape(Path.GetFullPath(s.Out))}/ ({Markup.Escape(BuildCommand.Listing(job.Output))})");
        return 0;
    }
}
