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

    // Kill points are drawn inside the duration of an uninterrupted run timed here, so the test kills mid-run on a
    // fast idle machine as on a loaded one.
    private int TimedRunMs(string[] args)
    {
        var clock = Stopwatch.StartNew();
        cli.Run(args).Check();
        return (int)clock.ElapsedMilliseconds;
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
    public void KilledAtRandomPointsAndResumedGivesTheSameBytes()
    {
        string reference = Reference();
        string outDir = Path.Combine(cli.Root, "killed");
        int full = TimedRunMs(Build(Path.Combine(cli.Root, "killed-timing")));
        var rng = new Random(Environment.TickCount);
        var delays = new List<int>();
        for (int attempt = 0; attempt < 12; attempt++)
        {
            using var p = Process.Start(cli.StartInfo(Build(outDir)))!;
            int delay = rng.Next(full / 20, full * 2 / 5); // early enough that a resumed run is still busy at the next kill
            if (p.WaitForExit(delay)) break; // finished before its kill
            p.Kill(); // SIGKILL
            p.WaitForExit();
            delays.Add(delay);
        }
        cli.Run(Build(outDir)).Check();
        CliFixture.AssertSameOutput(reference, outDir);
        AssertClean(outDir);
        Assert.True(delays.Count >= 2, $"killed only {delays.Count} times");
    }

    [Fact]
    public void AnIndexKilledMidShardResumesToTheSameBuild()
    {
        string reference = Reference();
        string index = Path.Combine(cli.Root, "killed-idx");
        string[] args = ["index", .. cli.CorpusArgs, "--out", index, "--shards", "2", "--max-chars", "120"];
        int full = TimedRunMs(["index", .. cli.CorpusArgs, "--out", Path.Combine(cli.Root, "killed-idx-timing"), "--shards", "2", "--max-chars", "120"]);
        var rng = new Random(Environment.TickCount);
        int kills = 0;
        for (int attempt = 0; attempt < 6 && kills < 3; attempt++)
        {
            using var p = Process.Start(cli.StartInfo(args))!;
            if (p.WaitForExit(rng.Next(full / 10, full * 9 / 10))) break;
            p.Kill();
            p.WaitForExit();
            kills++;
        }
        cli.Run(args).Check();
        Assert.True(kills >= 1);
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
        var r = cli.Run([.. Build(outDir), "--model", Path.Combine(cli.Root, "absent.gguf")]);
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
