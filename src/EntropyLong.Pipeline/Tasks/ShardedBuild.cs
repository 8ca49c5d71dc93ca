using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline.Tasks;

/// <summary>A build split into one task per corpus shard (out/tasks/build-NNNN/, each a complete small build) and a
/// merge that concatenates the task outputs in shard order into out/sequences.jsonl, out/mds/ and out/parquet/ (the
/// formats asked for), out/README.md and out/stats.json (written last). Sequence indexes are renumbered in that order,
/// so the final bytes depend only on the inputs, configuration, seed and shard count, never on which worker ran which
/// task or how often.</summary>
public sealed class ShardedBuild
{
    /// <summary>What each task names its sequences file (the merge writes the one the user chose).</summary>
    public const string TaskSequences = BuildFolder.Sequences;

    /// <param name="output">What the merge writes, into its <see cref="BuildOutput.Directory"/> (the build's folder).</param>
    public ShardedBuild(BuildOutput output, ShardPlan plan)
    {
        Output = output;
        Plan = plan;
        Tasks = new TaskStore(Path.Combine(OutDir, BuildFolder.Tasks));
    }

    public BuildOutput Output { get; }
    public string OutDir => Output.Directory;
    public ShardPlan Plan { get; }
    public TaskStore Tasks { get; }

    /// <summary>The effective configuration (config.json's content) the dataset card describes; set by
    /// <see cref="Prepare"/> and <see cref="Load"/>.</summary>
    public JsonElement Configuration { get; private set; }

    /// <summary>What every task writes: the MDS shards the merge reads back (whatever formats the build asked for), with
    /// the position weights when the build writes them.</summary>
    public BuildOutput TaskOutput(string taskDir) => Output with { Directory = taskDir, SequencesFile = TaskSequences, Mds = true, Parquet = false };

    /// <summary>Records the plan (shards, files, configuration) on first use of <see cref="OutDir"/>, with exclusive
    /// creation; a later worker must bring the same plan, else its output would not belong with the rest.</summary>
    /// <exception cref="UserInputException">The folder was planned with other inputs or settings, or holds a build made
    /// without shards (whose stats.json would pass for this build's merge).</exception>
    public void Prepare(JsonElement configuration)
    {
        CheckFolder(OutDir);
        var plan = new Dictionary<string, object>
        {
            ["shards"] = Plan.Shards,
            ["sequences"] = Output.SequencesFile,
            ["mds_shard_size"] = Output.MdsShardSizeLimit,
            ["formats"] = Output.Formats,
            ["position_weights"] = Output.PositionWeights,
            ["split"] = Plan.ByFile ? "files" : "records",
            ["files"] = Plan.Files.Select(Path.GetFullPath).ToArray(),
            ["config"] = configuration,
        };
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(plan, BuildFolder.Json);
        ClaimOrCompare(Path.Combine(OutDir, BuildFolder.Plan), bytes,
            "was started with other inputs, settings or shard count; finish it with the same command, or use a new --out folder");
        Configuration = configuration.Clone();
    }

    /// <summary>Refuses a folder that holds a build made without shards (whose stats.json would pass for this build's
    /// merge) or that such a build is writing.</summary>
    /// <exception cref="UserInputException">It does.</exception>
    public static void CheckFolder(string outDir)
    {
        if (File.Exists(Path.Combine(outDir, BuildFolder.Plan))) return;
        if (HoldsBuild(outDir))
            throw new UserInputException($"{outDir}: holds the output of a build without --shards; use a new --out folder, or remove that build first");
        // A running build's files all have temporary names until its end: its lock tells.
        if (File.Exists(Path.Combine(outDir, BuildFolder.BuildLock)))
        {
            using var unsharded = BuildRunner.TryLockFolder(outDir);
            if (unsharded is null) throw new UserInputException($"{outDir}: a build without --shards is writing to this folder; use a new --out folder");
        }
    }

    /// <summary>True when <paramref name="folder"/> holds a build's output, finished or not: its stats.json, sequences
    /// or MDS shards.</summary>
    private static bool HoldsBuild(string folder) =>
        BuildFolder.SequenceNames.Append(BuildFolder.Stats).Any(name => File.Exists(Path.Combine(folder, name)))
        || File.Exists(Path.Combine(folder, BuildFolder.Mds, "index.json"));

    /// <summary>Opens a folder prepared by <see cref="Prepare"/>, for a merge or a status report.</summary>
    /// <exception cref="UserInputException">No plan.json there.</exception>
    public static ShardedBuild Load(string outDir)
    {
        string path = Path.Combine(outDir, BuildFolder.Plan);
        if (!File.Exists(path)) throw new UserInputException($"{outDir}: no {BuildFolder.Plan}; it is not the output folder of a sharded build (`entropylong build --shards N`)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            JsonElement Key(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value)
                ? value : throw new KeyNotFoundException($"no \"{name}\"");
            var files = Key("files").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var output = new BuildOutput(outDir)
            {
                SequencesFile = Key("sequences").GetString()!,
                MdsShardSizeLimit = Key("mds_shard_size").GetInt64(),
                PositionWeights = Key("position_weights").GetBoolean(),
            }.WithFormats(Key("formats").EnumerateArray().Select(e => e.GetString()!));
            return new ShardedBuild(output, new ShardPlan(files, Key("shards").GetInt32())) { Configuration = Key("config").Clone() };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: not a valid plan ({JsonErrors.Message(e)})", e);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> if it does not exist (written under a
    /// temporary name, then moved without replacing, so one worker wins), else checks the content is the same.</summary>
    public static void ClaimOrCompare(string path, byte[] bytes, string mismatch)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            string tmp = AtomicFile.TempPathFor(path);
            File.WriteAllBytes(tmp, bytes);
            try { File.Move(tmp, path, overwrite: false); } // fails if another worker got there first: then compare
            catch (IOException) { File.Delete(tmp); }
        }
        if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            throw new UserInputException($"{path}: this output folder {mismatch}");
    }

    /// <summary>Runs the build of one shard as a committed task: <paramref name="makeRunner"/> gets the task's
    /// output (<see cref="TaskOutput"/> of its temporary folder) and returns the runner that writes there.</summary>
    public TaskOutcome RunShard(int shard, Func<BuildOutput, BuildRunner> makeRunner, Action<BuildProgress>? progress, out string? error,
        CancellationToken ct = default) =>
        Tasks.RunCommitted(BuildFolder.BuildTask(shard), dir =>
        {
            var reader = Plan.Reader(shard);
            var stats = makeRunner(TaskOutput(dir)).Run(reader.Read().Select(r => r.Document),
                () => reader.TotalBytes == 0 ? double.NaN : (double)reader.BytesRead / reader.TotalBytes, progress, ct);
            AddCorpusSkips(stats, reader.Stats);
            BuildRunner.WriteStats(dir, stats);
        }, out error);

    /// <summary>Counts the records the reader skipped as read and skipped (snake_case reasons).</summary>
    public static void AddCorpusSkips(BuildStats stats, ReadStats read)
    {
        stats.DocumentsRead += read.Skipped;
        foreach (SkipReason reason in Enum.GetValues<SkipReason>())
            if (read[reason] > 0) stats.Skip(Data.ReadStats.Key(reason), read[reason]);
    }

    public bool AllDone => Enumerable.Range(0, Plan.Shards).All(s => Tasks.IsDone(BuildFolder.BuildTask(s)));

    public bool IsMerged => File.Exists(Path.Combine(OutDir, BuildFolder.Stats));

    /// <summary>Merges when every shard is done and no other worker is merging; returns the merged stats, or null
    /// when shards are missing or another worker holds the merge lock. A merge killed half-way is redone from the
    /// start: each output file is renamed into place complete, and stats.json (the marker of a finished build) comes
    /// last, so once it exists the merge is never repeated.</summary>
    public BuildStats? TryMerge()
    {
        if (!AllDone) return null;
        using var held = TaskStore.TryLock(Path.Combine(Tasks.Directory, "merge.lock"));
        if (held is null) return null;
        string statsPath = Path.Combine(OutDir, BuildFolder.Stats);
        if (File.Exists(statsPath)) // merged by another worker since the check above: nothing to redo
            return BuildFolder.ReadStats(OutDir, $"remove it and run `entropylong merge {OutDir}` to merge again");
        RemoveStaleTemporaries();
        var total = new BuildStats();
        long next = 0;
        // Per-document detail (for the report) is joined only when every task wrote it.
        bool details = Enumerable.Range(0, Plan.Shards).All(shard => File.Exists(Path.Combine(Tasks.PathOf(BuildFolder.BuildTask(shard)), BuildFolder.Details)));
        using (var jsonl = new JsonlWriter(Path.Combine(OutDir, Output.SequencesFile)))
        using (var detailLines = details ? new JsonlWriter(Path.Combine(OutDir, BuildFolder.Details)) : null)
        using (var tokens = new TrainerFiles(Output))
        {
            for (int shard = 0; shard < Plan.Shards; shard++)
            {
                string dir = Tasks.PathOf(BuildFolder.BuildTask(shard));
                string redo = Redo(dir);
                foreach (string name in new[] { BuildFolder.Stats, TaskSequences })
                    if (!File.Exists(Path.Combine(dir, name))) throw new UserInputException($"{Path.Combine(dir, name)}: missing; {redo}");
                total.Add(BuildFolder.ReadStats(dir, redo));
                long before = next, lineNumber = 0;
                foreach (string line in File.ReadLines(Path.Combine(dir, TaskSequences), Encoding.UTF8))
                {
                    string renumbered = Renumber(line, ++lineNumber, next++, dir);
                    jsonl.Write(w => w.WriteRawValue(renumbered, skipInputValidation: true));
                }
                long samples = 0;
                foreach (var sample in MdsReader.Read(Path.Combine(dir, BuildFolder.Mds)))
                {
                    tokens.Write(MemoryMarshal.Cast<uint, int>(sample.InputIds), sample.Indices ?? throw new UserInputException($"{sample.Source}: no indices column; {redo}"),
                        sample.PositionWeighted);
                    samples++;
                }
                if (samples != next - before)
                    throw new UserInputException($"{dir}: {next - before} sequences in {TaskSequences} but {samples} MDS samples; {redo}");
                if (detailLines is not null)
                {
                    string path = Path.Combine(dir, BuildFolder.Details);
                    lineNumber = 0;
                    foreach (string line in File.ReadLines(path, Encoding.UTF8))
                    {
                        if (!IsOneObject(line)) throw new UserInputException($"{path}:{lineNumber + 1}: not a whole details record; {redo}");
                        lineNumber++;
                        detailLines.Write(w => w.WriteRawValue(line, skipInputValidation: true));
                    }
                }
            }
            BuildRunner.ReplaceEarlierBuild(Output with { Details = details });
            jsonl.Complete();
            detailLines?.Complete();
            tokens.Complete();
        }
        DatasetCard.Write(Output, Configuration, total);
        BuildRunner.WriteStats(OutDir, total);
        return total;
    }

    /// <summary>Hidden temporary files of a worker killed while writing: the merge's own (only the lock holder writes
    /// those, and the staging folders of mds/ and parquet/) and plan.json's and config.json's when their writer is a dead
    /// process of this host or they are over a minute old (a live worker, maybe on another host, renames its own in
    /// moments).</summary>
    private void RemoveStaleTemporaries()
    {
        foreach (string staged in System.IO.Directory.GetDirectories(OutDir, ".*.tmp")) System.IO.Directory.Delete(staged, recursive: true);
        var old = DateTime.UtcNow - TimeSpan.FromMinutes(1);
        string[] folders = [Path.Combine(OutDir, BuildFolder.Mds), Path.Combine(OutDir, BuildFolder.Parquet)];
        foreach (string f in System.IO.Directory.GetFiles(OutDir, ".*.tmp")
            .Concat(folders.Where(System.IO.Directory.Exists).SelectMany(d => System.IO.Directory.GetFiles(d, ".*.tmp"))))
        {
            string name = Path.GetFileName(f);
            bool shared = name.StartsWith($".{BuildFolder.Plan}.", StringComparison.Ordinal) || name.StartsWith(".config.json.", StringComparison.Ordinal);
            if (!shared || AtomicFile.IsAbandoned(f) || File.GetLastWriteTimeUtc(f) < old) File.Delete(f);
        }
    }

    private static string Redo(string taskDir) => $"the task's output is damaged: remove {taskDir} and run the build again to redo it";

    // A details line is copied as it is, so it is checked to be exactly one JSON object (a line cut short is not).
    private static bool IsOneObject(string line)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line));
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Every line starts {"index":N, (SequenceRecord's first field) and ends with the record's closing brace; a task file
    // cut short or emptied after its task finished fails the merge, naming the file and line.
    private static string Renumber(string line, long lineNumber, long index, string dir)
    {
        const string Prefix = "{\"index\":";
        int end = line.StartsWith(Prefix, StringComparison.Ordinal) && line.EndsWith('}') ? line.IndexOf(',', Prefix.Length) : -1;
        if (end < 0)
            throw new UserInputException($"{Path.Combine(dir, TaskSequences)}:{lineNumber}: not a whole sequence record; {Redo(dir)}");
        return string.Concat(Prefix, index.ToString(System.Globalization.CultureInfo.InvariantCulture), line.AsSpan(end));
    }
}
