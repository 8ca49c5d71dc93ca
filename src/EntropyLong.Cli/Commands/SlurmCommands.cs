using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Pipeline.Tasks;
using EntropyLong.Retrieval;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EntropyLong.Cli.Commands;

/// <summary>out/slurm/jobs.json: what `slurm submit` sent, for `slurm status`.</summary>
internal sealed record SlurmJobs(
    [property: JsonPropertyName("out")] string Out,
    [property: JsonPropertyName("index")] string Index,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("index_shards")] int IndexShards,
    [property: JsonPropertyName("index_job")] string? IndexJob,
    [property: JsonPropertyName("build_job")] string BuildJob,
    [property: JsonPropertyName("merge_job")] string MergeJob)
{
    public const string FileName = "jobs.json";
}

public sealed class SlurmSubmitCommand : Command<SlurmSubmitCommand.Settings>
{
    /// <summary>Arguments after <c>--</c> go to every build worker.</summary>
    [PassesArgumentsOn]
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <FILES>"), Description("Corpus files, folders or globs (as for build)")]
        public string[] Corpus { get; init; } = [];
        [CommandOption("--index <DIR>"), Description("Index folder: built first as a sharded index (an array job) unless it is already complete")]
        public string Index { get; init; } = "";
        [CommandOption("--out <DIR>"), Description("Build output folder; scripts and logs go to OUT/slurm/")]
        public string Out { get; init; } = "";
        [CommandOption("--array <N>"), Description("Workers per array job")]
        [OptionRange(1, OptionLimits.Workers)]
        public int Array { get; init; }
        [CommandOption("--shards <S>"), Description("Corpus shards (tasks) per stage; default: --array")]
        [OptionRange(1, OptionLimits.Workers)]
        public int? Shards { get; init; }
        [CommandOption("--index-shards <S>"), Description("Index shards when the index is built here; default: --shards")]
        [OptionRange(1, OptionLimits.Workers)]
        public int? IndexShards { get; init; }
        [CommandOption("--max-chars <N>"), Description("Chunk size of the index built here (as for index)")]
        [OptionRange(2, 1_000_000)]
        public int? MaxChars { get; init; }
        [CommandOption("--partition <P>")]
        public string? Partition { get; init; }
        [CommandOption("--time <T>"), Description("Time limit per worker (sbatch --time)")]
        public string? Time { get; init; }
        [CommandOption("--cpus-per-task <C>")]
        [OptionRange(1, 4096)]
        public int? CpusPerTask { get; init; }
        [CommandOption("--mem <M>"), Description("Memory per worker (sbatch --mem)")]
        public string? Memory { get; init; }
        [CommandOption("--dry-run"), Description("Write the scripts, submit nothing")]
        public bool DryRun { get; init; }

        public override ValidationResult Validate()
        {
            if (Corpus.Length == 0) return ValidationResult.Error("--corpus is required");
            if (string.IsNullOrWhiteSpace(Index)) return ValidationResult.Error("--index is required");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required");
            return ValidationResult.Success();
        }
    }

    // What the workers' build command line takes from submit's own options.
    private static readonly string[] SetBySubmit = ["--corpus", "--index", "--out", "--shards", "--no-merge", "--rank", "--world"];

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        // The workers parse what follows -- on the cluster: a typo there should fail now, not after the jobs queue.
        if (CommandLineCheck.FirstProblem(CliCommand.App, ["build", .. context.Remaining.Raw]) is { } problem) throw new UsageException($"after --: {problem}");
        if (context.Remaining.Raw.FirstOrDefault(a => SetBySubmit.Any(o => a == o || a.StartsWith(o + "=", StringComparison.Ordinal))) is { } owned)
            throw new UsageException($"after --: {owned.Split('=')[0]} is set by slurm submit from its own options; give it before --");
        var corpus = new CorpusReader(s.Corpus); // a missing file fails now, not on the cluster
        OutputPath.CheckFolder(s.Out);
        ShardedBuild.CheckFolder(s.Out); // every task would fail on a folder holding an unsharded build
        var corpusArgs = corpus.Files.SelectMany(f => new[] { "--corpus", Path.GetFullPath(f) }).ToArray();
        string outDir = Path.GetFullPath(s.Out), index = Path.GetFullPath(s.Index), dir = Path.Combine(outDir, "slurm");
        int shards = s.Shards ?? s.Array;
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        var self = Slurm.SelfCommand();
        SlurmJob Job(string name, int array, IEnumerable<string> args) =>
            new(name, array, [.. self, .. args]) { Partition = s.Partition, Time = s.Time, CpusPerTask = s.CpusPerTask, Memory = s.Memory };

        bool indexReady = ShardedIndex.IsSharded(index)
            ? Enumerable.Range(0, ShardedIndex.ReadShardCount(index)!.Value).All(i => File.Exists(Path.Combine(ShardedIndex.ShardFolder(index, i), BuildFolder.DoneMarker)))
            : File.Exists(Path.Combine(index, IndexManifest.FileName));
        var jobs = new List<(string Stage, SlurmJob Job)>();
        int indexShards = s.IndexShards ?? shards;
        string[] chunking = s.MaxChars is { } mc ? ["--max-chars", $"{mc}"] : [];
        if (!indexReady) jobs.Add(("index", Job("entropylong-index", Math.Min(s.Array, indexShards), ["index", .. corpusArgs, "--out", index, "--shards", $"{indexShards}", .. chunking])));
        jobs.Add(("build", Job("entropylong-build", Math.Min(s.Array, shards),
            ["build", .. corpusArgs, "--index", index, "--out", outDir, "--shards", $"{shards}", "--no-merge", .. context.Remaining.Raw])));
        jobs.Add(("merge", Job("entropylong-merge", 0, ["merge", outDir])));

        // Every script is written before the first is submitted, so a refused submission leaves them all to submit by hand.
        string Script(string stage) => Path.Combine(dir, $"{stage}.sbatch");
        foreach (var (stage, job) in jobs)
        {
            AtomicFile.WriteAllBytes(Script(stage), System.Text.Encoding.UTF8.GetBytes(Slurm.Script(job, Path.Combine(dir, "logs"), Directory.GetCurrentDirectory())));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Script(stage), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            if (s.DryRun) Stdout.MarkupLine($"wrote {Markup.Escape(Script(stage))}");
        }
        if (s.DryRun) return 0;
        var ids = new Dictionary<string, string>();
        string? previous = null;
        foreach (var (stage, job) in jobs)
        {
            previous = ids[stage] = Slurm.Submit(Script(stage), previous);
            Stdout.MarkupLine($"{stage}: job [bold]{ids[stage]}[/]{(job.ArrayTasks > 0 ? $" (array of {job.ArrayTasks})" : "")} <- {Markup.Escape(Script(stage))}");
        }
        var record = new SlurmJobs(outDir, index, shards, indexShards, ids.GetValueOrDefault("index"), ids["build"], ids["merge"]);
        AtomicFile.WriteAllBytes(Path.Combine(dir, SlurmJobs.FileName), JsonSerializer.SerializeToUtf8Bytes(record, new JsonSerializerOptions { WriteIndented = true }));
        Stdout.MarkupLine($"follow with: entropylong slurm status {Markup.Escape(Shell.QuotePath(s.Out))}");
        return 0;
    }
}

public sealed class SlurmStatusCommand : Command<SlurmStatusCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<OUT>"), Description("Output folder given to `slurm submit`")]
        public string Out { get; init; } = "";
        [CommandOption("--json"), Description("One JSON object on stdout (stage counts, job states, merged)")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken ct)
    {
        string path = Path.Combine(s.Out, "slurm", SlurmJobs.FileName);
        if (!File.Exists(path)) throw new UserInputException($"{path}: not found; submit with `entropylong slurm submit --out {Shell.QuotePath(s.Out)} ...` first");
        var jobs = JsonSerializer.Deserialize<SlurmJobs>(File.ReadAllBytes(path))!;
        var stages = new List<(string Stage, string? Job, TaskStore Store, IReadOnlyList<string> Ids)>
        {
            ("index", jobs.IndexJob, new TaskStore(jobs.Index), Enumerable.Range(0, jobs.IndexShards).Select(BuildFolder.IndexShard).ToList()),
            ("build", jobs.BuildJob, new TaskStore(Path.Combine(jobs.Out, BuildFolder.Tasks)), Enumerable.Range(0, jobs.Shards).Select(BuildFolder.BuildTask).ToList()),
        };
        bool merged = File.Exists(Path.Combine(jobs.Out, BuildFolder.Stats));
        var report = new Dictionary<string, object?>();
        var table = new Table().AddColumns("stage", "job", "tasks done", "failed", "slurm states");
        foreach (var (stage, job, store, ids) in stages)
        {
            int done = ids.Count(store.IsDone);
            var failed = ids.Where(id => !store.IsDone(id) && store.FailureOf(id) is not null).ToList();
            var states = job is null ? [] : Slurm.States(job);
            string counts = string.Join(", ", states.GroupBy(x => x.State).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
            report[stage] = new { job, done, total = ids.Count, failed, states = states.Select(x => new { x.Id, x.State, x.Reason }) };
            table.AddRow(stage, job ?? "(index was ready)", $"{done}/{ids.Count}", failed.Count == 0 ? "0" : string.Join(" ", failed), counts.Length == 0 ? "-" : counts);
        }
        var mergeStates = Slurm.States(jobs.MergeJob);
        report["merge"] = new { job = jobs.MergeJob, merged, states = mergeStates.Select(x => new { x.Id, x.State, x.Reason }) };
        table.AddRow("merge", jobs.MergeJob, merged ? "1/1" : "0/1", "-", string.Join(", ", mergeStates.Select(x => x.State)) is { Length: > 0 } m ? m : "-");
        if (s.Json) Console.WriteLine(JsonSerializer.Serialize(report, JsonlWriter.DefaultOptions));
        else
        {
            AnsiConsole.Write(table);
            Stdout.MarkupLine(merged ? $"[green]complete[/]: {Markup.Escape(jobs.Out)}/stats.json" : "not merged yet");
        }
        return 0;
    }
}
