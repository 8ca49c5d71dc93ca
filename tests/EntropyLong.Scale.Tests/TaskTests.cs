using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;
using EntropyLong.Pipeline.Tasks;
using EntropyLong.TestSupport;

namespace EntropyLong.Scale.Tests;

public class TaskTests : IDisposable
{
    private readonly string _dir = Scratch.NewPath("tasks");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static Func<string, string?> Env(params (string, string)[] vars) => name => vars.FirstOrDefault(v => v.Item1 == name).Item2;

    [Fact]
    public void RankAndWorldComeFromFlagsThenSlurmThenTorchThenKubernetes()
    {
        Assert.Equal((0, 1), Pair(WorkerSlot.Resolve(null, null, Env())));
        Assert.Equal((2, 5), Pair(WorkerSlot.Resolve(2, 5, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")))));
        Assert.Equal((3, 4), Pair(WorkerSlot.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("RANK", "0"), ("WORLD_SIZE", "9")))));
        Assert.Equal((1, 9), Pair(WorkerSlot.Resolve(null, null, Env(("RANK", "1"), ("WORLD_SIZE", "9")))));
        Assert.Equal((6, 8), Pair(WorkerSlot.Resolve(null, null, Env(("JOB_COMPLETION_INDEX", "6"), ("WORLD_SIZE", "8")))));
        Assert.Contains("--world", Assert.Throws<UserInputException>(() => WorkerSlot.Resolve(null, null, Env(("JOB_COMPLETION_INDEX", "6")))).Message);
        Assert.Throws<UserInputException>(() => WorkerSlot.Resolve(3, 3, Env()));
        Assert.Throws<UserInputException>(() => WorkerSlot.Resolve(null, null, Env(("RANK", "x"), ("WORLD_SIZE", "2"))));
        Assert.Equal([1, 4, 7], new WorkerSlot(1, 3).Owned(9));
        static (int, int) Pair(WorkerSlot s) => (s.Rank, s.World);
    }

    [Theory]
    [InlineData(5, 2)] // by file
    [InlineData(2, 3)] // by record
    [InlineData(3, 3)]
    public void ShardsCoverEveryRecordExactlyOnce(int files, int shards)
    {
        var paths = new List<string>();
        int n = 0;
        for (int f = 0; f < files; f++)
        {
            string path = Path.Combine(_dir, $"c{f}.jsonl");
            Directory.CreateDirectory(_dir);
            File.WriteAllLines(path, Enumerable.Range(0, 3 + f).Select(_ => JsonSerializer.Serialize(new { id = $"r{n++}", text = "some text" })));
            paths.Add(path);
        }
        var plan = new ShardPlan(paths, shards);
        Assert.Equal(files >= shards, plan.ByFile);
        var ids = Enumerable.Range(0, shards).SelectMany(s => plan.Reader(s).Read().Select(r => r.Document.Id)).ToList();
        Assert.Equal(n, ids.Count);
        Assert.Equal(n, ids.Distinct().Count());
        Assert.All(Enumerable.Range(0, shards), s => Assert.NotEmpty(plan.Reader(s).Read()));
    }

    [Fact]
    public void ALockedTaskIsBusyAndALockDiesWithItsHolder()
    {
        var store = new TaskStore(_dir);
        int runs = 0;
        Directory.CreateDirectory(_dir);
        using (var held = TaskStore.TryLock(Path.Combine(_dir, "t.lock")))
        {
            Assert.NotNull(held);
            Assert.Null(TaskStore.TryLock(Path.Combine(_dir, "t.lock")));
            Assert.Equal(TaskOutcome.Busy, store.RunCommitted("t", _ => runs++, out _));
        }
        Assert.Equal(TaskOutcome.Done, store.RunCommitted("t", d => { runs++; File.WriteAllText(Path.Combine(d, "x"), "1"); }, out _));
        Assert.Equal(TaskOutcome.AlreadyDone, store.RunCommitted("t", _ => runs++, out _));
        Assert.Equal(1, runs);
        Assert.Equal("1", File.ReadAllText(Path.Combine(store.PathOf("t"), "x")));
        Assert.True(store.IsDone("t"));
    }

    [Fact]
    public void AFailedTaskLeavesNoOutputAndARerunCompletesIt()
    {
        var store = new TaskStore(_dir);
        var outcome = store.RunCommitted("t", d =>
        {
            File.WriteAllText(Path.Combine(d, "partial"), "half");
            throw new UserInputException("corpus/part-1.jsonl.gz: cut short");
        }, out string? error);
        Assert.Equal(TaskOutcome.Failed, outcome);
        Assert.Equal("t: corpus/part-1.jsonl.gz: cut short", error);
        Assert.False(Directory.Exists(store.PathOf("t")));
        Assert.Empty(Directory.GetDirectories(_dir, ".t.*"));
        Assert.Contains("cut short", store.FailureOf("t"));
        Assert.Equal(TaskOutcome.Done, store.RunCommitted("t", _ => { }, out _));
        Assert.Null(store.FailureOf("t"));
        string log = File.ReadAllText(Path.Combine(_dir, "t.log"));
        Assert.Contains("failed: corpus/part-1.jsonl.gz: cut short", log);
        Assert.EndsWith("s\n", log);
    }

    [Fact]
    public void APlanIsClaimedOnceAndADifferentOneRefused()
    {
        string path = Path.Combine(_dir, "plan.json");
        var bytes = "{\"shards\":2}"u8.ToArray();
        Parallel.For(0, 8, _ => ShardedBuild.ClaimOrCompare(path, bytes, "differs"));
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(_dir, ".plan.json.*"));
        var e = Assert.Throws<UserInputException>(() => ShardedBuild.ClaimOrCompare(path, "{\"shards\":3}"u8.ToArray(), "differs"));
        Assert.Contains("plan.json", e.Message);
    }

    [Fact]
    public void SlurmScriptsQuoteArgumentsAndChainArrays()
    {
        var job = new SlurmJob("entropylong-build", 4, ["/usr/bin/dotnet", "/opt/el/entropylong.dll", "build", "--separator", "it's \n"]) { Partition = "cpu", Time = "01:00:00" };
        string script = Slurm.Script(job, "/out/slurm/logs", "/work");
        Assert.Contains("#SBATCH --array=0-3\n", script);
        Assert.Contains("#SBATCH --output=/out/slurm/logs/entropylong-build-%A_%a.log\n", script);
        Assert.Contains("#SBATCH --partition=cpu\n#SBATCH --time=01:00:00\n", script);
        Assert.EndsWith("exec /usr/bin/dotnet /opt/el/entropylong.dll build --separator 'it'\\''s \n'\n", script);
        // sbatch splits a directive at whitespace unless it is quoted; a log folder with a space was cut in two.
        script = Slurm.Script(job, "/out dir/slurm/logs", "/work \"x\"");
        Assert.Contains("#SBATCH --output=\"/out dir/slurm/logs/entropylong-build-%A_%a.log\"\n", script);
        Assert.Contains("#SBATCH --chdir=\"/work \\\"x\\\"\"\n", script);
    }
}
