using System.Diagnostics;
using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>The CLI as a cluster runs it: several workers at once, killed at random points, bad input on one shard,
/// a full disk. Every path must end with the bytes of one uninterrupted single-worker run.</summary>
[Collection("cli")]
public class ResumeTests(CliFixture cli)
{
    private const int Shards = CliFixture.Shards;

    private string[] Build(string outDir, params string[] more) => cli.Build(outDir, more);

    private string Reference() => cli.Reference();

    // Runs are killed at chosen atomic commits (ENTROPYLONG_KILL_AT_COMMIT, see AtomicFile), not at chosen times, so the
    // same points are exercised on every run of the tests, on a fast idle machine as on a loaded one.
    private CliResult RunKilledAt(string[] args, int commit)
    {
        var r = cli.Run(args, new Dictionary<string, string> { ["ENTROPYLONG_KILL_AT_COMMIT"] = $"{commit}" });
        Assert.True(r.Code == 137, $"expected SIGKILL at commit {commit}, got exit {r.Code}: {r.Stderr}");
        return r;
    }

    internal static void AssertClean(string outDir)
    {
        var leftovers = Directory.GetFileSystemEntries(outDir, "*.tmp", SearchOption.AllDirectories);
        Assert.True(leftovers.Length == 0, "temporary files left: " + string.Join(", ", leftovers));
        var lines = File.ReadAllLines(Path.Combine(outDir, "sequences.jsonl"));
        var indexes = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("index").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, lines.Length).Select(i => (long)i), indexes);
        var docs = lines.SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("samples").EnumerateArray().Select(s => s.GetProperty("document_id").GetString())).ToList();
        Assert.Equal(docs.Count, docs.Distinct().Count());
    }

    [Fact]
    public void ReferenceRunIsNonTrivial()
    {
        string reference = Reference();
        AssertClean(reference);
        Assert.True(File.ReadAllLines(Path.Combine(reference, "sequences.jsonl")).Length >= 6);
        Assert.Equal(Shards, Directory.GetDirectories(Path.Combine(reference, "tasks"), "build-*").Length);
        var stats = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reference, "stats.json"))).RootElement;
        Assert.Equal(32, stats.GetProperty("documents_read").GetInt64());
        Assert.True(stats.GetProperty("chunks_verified").GetInt64() > 0);
        // A re-run finds everything done and changes nothing.
        var before = CliFixture.Output(reference);
        var again = cli.Run(Build(reference)).Check();
        Assert.Equal(before.Keys, CliFixture.Output(reference).Keys);
        CliFixture.AssertSameOutput(reference, reference);
        Assert.Contains("3/3 tasks complete", again.Stderr);
    }

    [Fact]
    public void OneShardMergesToTheBytesOfAnUnshardedBuild()
    {
        string plain = Path.Combine(cli.Root, "plain"), one = Path.Combine(cli.Root, "one-shard");
        string[] common = ["build", .. cli.CorpusArgs, "--index", cli.Index, .. cli.BuildOptions];
        cli.Run([.. common, "--out", plain]).Check();
        cli.Run([.. common, "--out", one, "--shards", "1"]).Check();
        CliFixture.AssertSameOutput(plain, one);
        var task = File.ReadAllLines(Path.Combine(one, "tasks", "build-0000", "sequences.jsonl"));
        Assert.Equal(task, File.ReadAllLines(Path.Combine(one, "sequences.jsonl")));
    }

    [Fact]
    public void ConcurrentWorkersOnOneFolderGiveTheSingleWorkerBytes()
    {
        string reference = Reference();
        string outDir = Path.Combine(cli.Root, "concurrent");
        // Ranks 0 and 1 of 2 from the environment, as Slurm sets them, plus a third worker that wants every task.
        var runs = new[]
        {
            cli.StartInfo(Build(outDir), new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "0", ["SLURM_ARRAY_TASK_COUNT"] = "2" }),
            cli.StartInfo(Build(outDir), new Dictionary<string, string> { ["RANK"] = "1", ["WORLD_SIZE"] = "2" }),
            cli.StartInfo(Build(outDir)),
        }.Select(Process.Start).ToList();
        foreach (var p in runs)
        {
            p!.WaitForExit();
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }
        CliFixture.AssertSameOutput(reference, outDir);
        AssertClean(outDir);
    }

    [Fact]
    public void KilledAtSuccessiveCommitsAndResumedGivesTheSameBytes()
    {
        string reference = Reference();
        string outDir = Path.Combine(cli.Root, "killed");
        // Each attempt dies just before one of its renames: inside a task, at a task's last file, in the merge. Each
        // resumed attempt starts where the killed ones left off, so the chain walks through the whole run.
        foreach (int commit in new[] { 1, 3, 2, 6, 4, 9, 5 })
        {
            RunKilledAt(Build(outDir), commit);
            Assert.NotEmpty(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories));
        }
        cli.Run(Build(outDir)).Check();
        CliFixture.AssertSameOutput(reference, outDir);
        AssertClean(outDir);
    }

    [Fact]
    public void KilledAtEveryRenameInTurnLeavesNothingOnceDone()
    {
        // Attempt K dies at its K-th rename. Tasks resume where the killed ones stopped and the merge starts over, so the
        // chain ends once some attempt outlives the whole merge, having stopped inside it at every rename, its staging
        // folders' swap included (a merge killed there left a hidden folder that no rerun removed).
        string outDir = Path.Combine(cli.Root, "killed-at-every-rename");
        int attempt = 0;
        while (cli.Run(Build(outDir), new Dictionary<string, string> { ["ENTROPYLONG_KILL_AT_COMMIT"] = $"{++attempt}" }).Code == 137)
            Assert.True(attempt < 100, "the chain of killed attempts does not end");
        Assert.True(attempt > 5, $"only {attempt} attempts");
        CliFixture.AssertSameOutput(Reference(), outDir);
        AssertClean(outDir);
    }

    [Fact]
    public void AnUnshardedBuildKilledMidWriteLeavesNothingOnceRerun()
    {
        string plain = Path.Combine(cli.Root, "plain-reference"), outDir = Path.Combine(cli.Root, "plain-killed");
        string[] args = ["build", .. cli.CorpusArgs, "--index", cli.Index, .. cli.BuildOptions];
        cli.Run([.. args, "--out", plain]).Check();
        RunKilledAt([.. args, "--out", outDir], 2);
        Assert.Contains(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith(".details.jsonl."));
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        cli.Run([.. args, "--out", outDir]).Check();
        CliFixture.AssertSameOutput(plain, outDir);
        AssertClean(outDir);
    }

    [Fact]
    public void ARebuildKilledBeforeItsEndLeavesTheEarlierBuildWhole()
    {
        string outDir = Path.Combine(cli.Root, "rebuilt-killed");
        string[] args = ["build", .. cli.CorpusArgs, "--index", cli.Index, .. cli.BuildOptions, "--out", outDir, "--format", "mds,parquet"];
        cli.Run(args).Check();
        var before = EveryFile(outDir);
        // Small MDS shards: the rerun's first commit is a shard written in the middle of its run. Its formats once
        // removed the earlier build's mds/ and parquet/ (and stats.json) when it started.
        RunKilledAt([.. args, "--shard-size", "2048"], 1);
        var after = EveryFile(outDir);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
        cli.Run([.. args, "--shard-size", "2048"]).Check();
        AssertClean(outDir);
        Assert.True(Directory.GetFiles(Path.Combine(outDir, "mds"), "shard.*.mds").Length > 1);
    }

    [Fact]
    public void ABuildRefusesAFolderAnotherBuildIsWriting()
    {
        string outDir = Path.Combine(cli.Root, "locked");
        string[] args = ["build", .. cli.CorpusArgs, "--index", cli.Index, .. cli.BuildOptions, "--out", outDir];
        cli.Run(args).Check();
        var before = EveryFile(outDir);
        // Two builds writing one folder at once left a mix of their files that looked finished.
        using (var held = EntropyLong.Pipeline.Tasks.TaskStore.TryLock(Path.Combine(outDir, ".build.lock")))
        {
            Assert.NotNull(held);
            var second = cli.Run(args);
            Assert.Equal(3, second.Code);
            Assert.Contains($"{outDir}: another build is writing to this folder", second.Stderr);
            Assert.DoesNotContain("scorer", second.Stdout + second.Stderr);
            var sharded = cli.Run(Build(outDir));
            Assert.Equal(3, sharded.Code);
            Assert.Contains("holds the output of a build without --shards", sharded.Stderr);
            // Before its end a running build's files have temporary names; its lock alone tells a sharded build.
            string running = Path.Combine(cli.Root, "locked-running");
            Directory.CreateDirectory(running);
            using var runningLock = EntropyLong.Pipeline.Tasks.TaskStore.TryLock(Path.Combine(running, ".build.lock"));
            var shardedIntoRunning = cli.Run(Build(running));
            Assert.Equal(3, shardedIntoRunning.Code);
            Assert.Contains($"{running}: a build without --shards is writing to this folder", shardedIntoRunning.Stderr);
        }
        var after = EveryFile(outDir);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
        cli.Run(args).Check();
    }

    [Fact]
    public void ShardedAndUnshardedBuildsDoNotShareAFolder()
    {
        string plain = Path.Combine(cli.Root, "plain-not-shared"), sharded = Reference();
        string[] args = ["build", .. cli.CorpusArgs, "--index", cli.Index, .. cli.BuildOptions];
        cli.Run([.. args, "--out", plain]).Check();
        var before = EveryFile(plain);
        // A sharded build took the unsharded build's stats.json for its own merge and reported it merged.
        var intoPlain = cli.Run(Build(plain));
        Assert.Equal(3, intoPlain.Code);
        Assert.Contains("holds the output of a build without --shards", intoPlain.Stderr);
        Assert.Equal(before.Keys, EveryFile(plain).Keys);
        var intoSharded = cli.Run([.. args, "--out", sharded]);
        Assert.Equal(3, intoSharded.Code);
        Assert.Contains("holds a sharded build (plan.json)", intoSharded.Stderr);
        CliFixture.AssertSameOutput(Reference(), sharded);
    }

    [Theory]
    [InlineData("emptied")]
    [InlineData("cut short")]
    [InlineData("details cut short")]
    [InlineData("stats malformed")]
    [InlineData("stats missing")]
    [InlineData("sequences missing")]
    public void ADamagedTaskFailsTheMergeNamingItsFileAndLine(string damage)
    {
        string outDir = Path.Combine(cli.Root, "damaged-" + damage.Replace(' ', '-'));
        cli.Run(Build(outDir, "--no-merge")).Check();
        string task = Path.Combine(outDir, "tasks", "build-0001");
        string sequences = Path.Combine(task, "sequences.jsonl"), details = Path.Combine(task, "details.jsonl"), stats = Path.Combine(task, "stats.json");
        static void CutFirstLine(string path, bool empty)
        {
            var lines = File.ReadAllLines(path);
            lines[0] = empty ? "" : lines[0][..(lines[0].Length / 2)];
            File.WriteAllLines(path, lines);
        }
        // Emptying a line threw an ArgumentOutOfRangeException; a line cut short was merged as it was; a malformed or
        // missing file showed a .NET exception.
        string expected = damage switch
        {
            "emptied" or "cut short" => $"{sequences}:1: not a whole sequence record",
            "details cut short" => $"{details}:1: not a whole details record",
            "stats malformed" => $"{stats}:1: not a build's stats",
            "stats missing" => $"{stats}: missing",
            _ => $"{sequences}: missing",
        };
        switch (damage)
        {
            case "emptied" or "cut short": CutFirstLine(sequences, damage == "emptied"); break;
            case "details cut short": CutFirstLine(details, empty: false); break;
            case "stats malformed": File.WriteAllText(stats, "{\"documents_read\": 3,"); break;
            case "stats missing": File.Delete(stats); break;
            default: File.Delete(sequences); break;
        }
        var merge = cli.Run(["merge", outDir]);
        Assert.Equal(3, merge.Code);
        Assert.Contains(expected, merge.Stderr);
        Assert.Contains($"remove {task} and run the build again", merge.Stderr);
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        Directory.Delete(task, recursive: true);
        cli.Run(Build(outDir)).Check();
        CliFixture.AssertSameOutput(Reference(), outDir);
    }

    [Fact]
    public void APlanWithoutAKeyNamesIt()
    {
        string outDir = Path.Combine(cli.Root, "plan-without-key");
        cli.Run(Build(outDir, "--no-merge")).Check();
        File.WriteAllText(Path.Combine(outDir, "plan.json"), "{}");
        var merge = cli.Run(["merge", outDir]);
        Assert.Equal(3, merge.Code);
        Assert.Contains($"{Path.Combine(outDir, "plan.json")}: not a valid plan (no \"files\")", merge.Stderr);
    }

    /// <summary>Every file under <paramref name="dir"/> but hidden temporaries, by relative path.</summary>
    private static SortedDictionary<string, byte[]> EveryFile(string dir) => new(
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !Path.GetRelativePath(dir, f).Split('/').Any(p => p.StartsWith('.')))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes), StringComparer.Ordinal);

    [Fact]
    public void AnIndexKilledMidShardResumesToTheSameBuild()
    {
        string reference = Reference();
        string index = Path.Combine(cli.Root, "killed-idx");
        string[] args = ["index", .. cli.CorpusArgs, "--out", index, "--shards", "2", "--max-chars", "120"];
        foreach (int commit in new[] { 1, 2, 4 }) RunKilledAt(args, commit);
        cli.Run(args).Check();
        Assert.Empty(Directory.GetFiles(index, "*.tmp", SearchOption.AllDirectories));
        string outDir = Path.Combine(cli.Root, "killed-idx-build");
        cli.Run(["build", .. cli.CorpusArgs, "--index", index, "--out", outDir, "--shards", $"{Shards}", .. cli.BuildOptions]).Check();
        CliFixture.AssertSameOutput(reference, outDir);
    }

    [Fact]
    public void ACorruptShardFailsAloneAndTheRerunDoesOnlyIt()
    {
        string reference = Reference();
        string outDir = Path.Combine(cli.Root, "corrupt");
        // Same file names in another folder, so the plan matches once the file is repaired.
        string[] files = cli.CorpusFiles.Select(f => Path.Combine(cli.Root, "corrupt-corpus", Path.GetFileName(f))).ToArray();
        for (int i = 0; i < files.Length; i++) { Directory.CreateDirectory(Path.GetDirectoryName(files[i])!); File.Copy(cli.CorpusFiles[i], files[i], true); }
        byte[] good = File.ReadAllBytes(files[1]);
        File.WriteAllBytes(files[1], good[..(good.Length / 2)]); // a gzip stream cut short: shard 1 of 3 (by file)
        string[] args = ["build", .. files.SelectMany(f => new[] { "--corpus", f }), "--index", cli.Index, "--out", outDir, "--shards", $"{Shards}", .. cli.BuildOptions];
        var failed = cli.Run(args);
        Assert.Equal(3, failed.Code);
        Assert.Contains("build-0001", failed.Stderr);
        Assert.Contains("part-1.jsonl.gz", failed.Stderr);
        Assert.DoesNotContain("   at ", failed.Stderr);
        Assert.True(Directory.Exists(Path.Combine(outDir, "tasks", "build-0000")) && Directory.Exists(Path.Combine(outDir, "tasks", "build-0002")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "tasks", "build-0001")));
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));

        File.WriteAllBytes(files[1], good);
        var rerun = cli.Run([.. args, "--world", "1"]).Check();
        Assert.Contains("build-0000 already done", rerun.Stderr);
        Assert.Contains("build-0002 already done", rerun.Stderr);
        Assert.Contains("build-0001 done", rerun.Stderr);
        Assert.Equal(2, File.ReadAllText(Path.Combine(outDir, "tasks", "build-0001.log")).Split('\n').Count(l => l.Contains(": start")));
        Assert.Single(File.ReadAllText(Path.Combine(outDir, "tasks", "build-0000.log")).Split('\n'), l => l.Contains(": start"));
        CliFixture.AssertSameOutput(reference, outDir);
    }

    [Fact]
    public void AMissingModelFailsTheWorkerBeforeAnyOutput()
    {
        string outDir = Path.Combine(cli.Root, "nomodel");
        string[] args = [.. Build(outDir)];
        args[Array.IndexOf(args, "--model") + 1] = Path.Combine(cli.Root, "absent.gguf");
        var r = cli.Run(args);
        Assert.Equal(3, r.Code);
        Assert.Contains("absent.gguf", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(outDir, "tasks")));
    }

    [Fact]
    public void AFullDiskFailsTasksCleanlyAndTheRerunCompletes()
    {
        string reference = Reference();
        string mount = Path.Combine(cli.Root, "small-disk");
        Directory.CreateDirectory(mount);
        Assert.True(Sh($"mount -t tmpfs -o size=1m tmpfs '{mount}'") == 0, "needs root to mount a 1 MiB tmpfs");
        try
        {
            string filler = Path.Combine(mount, "filler");
            Assert.Equal(0, Sh($"dd if=/dev/zero of='{filler}' bs=1k count=1000 status=none; true"));
            string outDir = Path.Combine(mount, "out");
            var full = cli.Run(Build(outDir));
            Assert.NotEqual(0, full.Code);
            Assert.Contains("disk full", full.Stderr);
            Assert.DoesNotContain("   at ", full.Stderr);
            Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
            File.Delete(filler);
            cli.Run(Build(outDir)).Check();
            CliFixture.AssertSameOutput(reference, outDir);
            AssertClean(outDir);
        }
        finally
        {
            Sh($"umount '{mount}'");
        }
    }

    private static int Sh(string command)
    {
        using var p = Process.Start("bash", ["-c", command]);
        p.WaitForExit();
        return p.ExitCode;
    }
}
