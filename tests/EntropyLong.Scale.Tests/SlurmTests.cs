using System.Diagnostics;
using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>`slurm submit` on a real single-node Slurm cluster (tools/slurm/start-cluster.sh, run as root; it installs
/// Debian's packages when missing): index, build and merge as array jobs chained with afterok must produce the bytes
/// of a local run.</summary>
[Collection("cli")]
public class SlurmTests(CliFixture cli)
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tools", "slurm", "start-cluster.sh"))) return dir.FullName;
        throw new InvalidOperationException("tools/slurm/start-cluster.sh not found above " + AppContext.BaseDirectory);
    }

    private static (int Code, string Output) Bash(string command)
    {
        var psi = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    [Fact]
    public void ARefusedSubmissionIsOneLineNamingSbatch()
    {
        // sbatch's own message (several lines without a cluster) was passed through as it was.
        string bin = Path.Combine(cli.Root, "refusing-sbatch"), outDir = Path.Combine(cli.Root, "slurm-refused");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "sbatch"), "#!/bin/sh\necho 'sbatch: error: Batch job submission failed:' >&2\necho 'Unable to contact slurm controller' >&2\nexit 1\n");
        Assert.Equal(0, Bash($"chmod +x '{Path.Combine(bin, "sbatch")}'").Code);
        var env = new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") };
        var r = cli.Run(["slurm", "submit", .. cli.CorpusArgs, "--index", cli.Index, "--out", outDir, "--shards", "2", "--", .. cli.BuildOptions], env);
        Assert.Equal(3, r.Code);
        Assert.DoesNotContain('\n', r.Stderr.Trim());
        Assert.EndsWith("failed (exit 1): sbatch: error: Batch job submission failed: / Unable to contact slurm controller", r.Stderr.Trim());
    }

    [Fact]
    public void ArrayJobsChainedWithAfterOkReproduceTheLocalRun()
    {
        string reference = cli.Reference();
        string root = RepoRoot();
        string state = Path.Combine(cli.Root, "slurm-state");
        var env = new Dictionary<string, string> { ["ENTROPYLONG_SLURM"] = state, ["ENTROPYLONG_SLURM_PORT"] = "6917" };
        string prefix = $"ENTROPYLONG_SLURM='{state}' ENTROPYLONG_SLURM_PORT=6917 ";
        var (code, output) = Bash(prefix + $"'{root}/tools/slurm/start-cluster.sh'");
        Assert.True(code == 0, "start-cluster.sh failed:\n" + output);
        try
        {
            env["SLURM_CONF"] = Path.Combine(state, "etc", "slurm.conf");
            // Spaces in the folders: sbatch must read the quoted #SBATCH paths (--chdir, --output) as one word each.
            string outDir = Path.Combine(cli.Root, "slurm out"), index = Path.Combine(cli.Root, "slurm idx");
            var submit = cli.Run(["slurm", "submit", .. cli.CorpusArgs, "--index", index, "--out", outDir, "--array", "2",
                "--shards", $"{CliFixture.Shards}", "--index-shards", "2", "--max-chars", "120", "--", .. cli.BuildOptions], env).Check();
            Assert.Contains("index: job", submit.Stdout);
            Assert.Contains("(array of 2)", submit.Stdout);
            string script = File.ReadAllText(Path.Combine(outDir, "slurm", "build.sbatch"));
            Assert.Contains("#SBATCH --array=0-1", script);
            Assert.Contains("entropylong.dll build", script);

            var clock = Stopwatch.StartNew();
            JsonElement status = default;
            while (clock.Elapsed < TimeSpan.FromMinutes(4))
            {
                status = JsonDocument.Parse(cli.Run(["slurm", "status", outDir, "--json"], env).Check().Stdout).RootElement;
                if (status.GetProperty("merge").GetProperty("merged").GetBoolean()) break;
                Assert.DoesNotContain("FAILED", status.ToString());
                Thread.Sleep(1000);
            }
            Assert.True(status.GetProperty("merge").GetProperty("merged").GetBoolean(), "not merged in time: " + status + "\n" +
                string.Join("\n", Directory.GetFiles(Path.Combine(outDir, "slurm", "logs")).Select(f => f + ":\n" + File.ReadAllText(f))));
            Assert.Equal(CliFixture.Shards, status.GetProperty("build").GetProperty("done").GetInt32());
            Assert.Equal(2, status.GetProperty("index").GetProperty("done").GetInt32());
            Assert.All(status.GetProperty("build").GetProperty("states").EnumerateArray(), s => Assert.Equal("COMPLETED", s.GetProperty("state").GetString()));
            // Two array tasks ran the build: each log names its rank.
            var logs = Directory.GetFiles(Path.Combine(outDir, "slurm", "logs"), "entropylong-build-*.log");
            Assert.Equal(2, logs.Length);
            CliFixture.AssertSameOutput(reference, outDir);
            ResumeTests.AssertClean(outDir);
            var human = cli.Run(["slurm", "status", outDir], env).Check();
            Assert.Contains("complete", human.Stdout);
        }
        finally
        {
            Bash(prefix + $"'{root}/tools/slurm/stop-cluster.sh'");
        }
    }
}
