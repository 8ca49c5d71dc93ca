using System.Diagnostics;
using System.Globalization;

using EntropyLong.Pipeline.Tasks;

namespace EntropyLong.Bench;

/// <summary>A worker run as a child process: wall time, CPU time (user + system, as last sampled) and memory sampled
/// from /proc while it ran.</summary>
public sealed record WorkerRun(double Seconds, double CpuSeconds, long PeakRssBytes, long PeakAnonBytes, long PeakFileBytes, int ExitCode, string Stderr);

/// <summary>Figures for the scale-out layer, each measured side by side in one run by starting the CLI itself as
/// child processes (as a cluster would): throughput of 1 vs 2 workers on one folder, a worker's peak memory on a
/// corpus and one 10x larger (anonymous memory vs file-backed index pages), and the time a resume spends before its
/// first new task starts compared with a fresh run.</summary>
public static class ScaleBenchmark
{
    /// <summary>Starts <paramref name="command"/> + <paramref name="args"/> and polls /proc/PID/status every 20 ms for
    /// VmHWM (peak resident), RssAnon and RssFile (maxima over the samples).</summary>
    public static WorkerRun Run(IReadOnlyList<string> command, IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        RunAll([(command, args, env)])[0];

    /// <summary>Several workers at once; each is sampled on its own.</summary>
    public static WorkerRun[] RunAll(IReadOnlyList<(IReadOnlyList<string> Command, IEnumerable<string> Args, IDictionary<string, string>? Env)> workers)
    {
        var clock = Stopwatch.StartNew();
        var procs = workers.Select(w =>
        {
            var psi = new ProcessStartInfo(w.Command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in w.Command.Skip(1).Concat(w.Args)) psi.ArgumentList.Add(a);
            foreach (string v in new[] { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "RANK", "WORLD_SIZE", "JOB_COMPLETION_INDEX" }) psi.Environment.Remove(v);
            if (w.Env is not null) foreach (var (k, v) in w.Env) psi.Environment[k] = v;
            var p = Process.Start(psi)!;
            return (Process: p, Stderr: p.StandardError.ReadToEndAsync(), Stdout: p.StandardOutput.ReadToEndAsync());
        }).ToArray();
        var peaks = new (long Rss, long Anon, long File, double Cpu)[procs.Length];
        var seconds = new double[procs.Length];
        while (procs.Any(p => !p.Process.HasExited))
        {
            for (int i = 0; i < procs.Length; i++)
            {
                if (procs[i].Process.HasExited) { if (seconds[i] == 0) seconds[i] = clock.Elapsed.TotalSeconds; continue; }
                var (rss, anon, file, cpu) = Sample(procs[i].Process.Id);
                peaks[i] = (Math.Max(peaks[i].Rss, rss), Math.Max(peaks[i].Anon, anon), Math.Max(peaks[i].File, file), Math.Max(peaks[i].Cpu, cpu));
            }
            Thread.Sleep(20);
        }
        var runs = new WorkerRun[procs.Length];
        for (int i = 0; i < procs.Length; i++)
        {
            procs[i].Process.WaitForExit();
            if (seconds[i] == 0) seconds[i] = clock.Elapsed.TotalSeconds;
            runs[i] = new WorkerRun(seconds[i], peaks[i].Cpu, peaks[i].Rss, peaks[i].Anon, peaks[i].File, procs[i].Process.ExitCode, procs[i].Stderr.Result);
            procs[i].Process.Dispose();
        }
        return runs;
    }

    private static (long Rss, long Anon, long File, double Cpu) Sample(int pid)
    {
        long rss = 0, anon = 0, file = 0;
        double cpu = 0;
        try
        {
            // /proc/PID/stat: utime and stime are fields 14 and 15, in clock ticks (USER_HZ = 100 on Linux).
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kb(line);
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kb(line);
            }
        }
        catch (IOException) { /* exited between the check and the read */ }
        return (rss, anon, file, cpu);

        static long Kb(string line) => 1024 * long.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>When the last attempt of task <paramref name="id"/> started, from its log (UTC).</summary>
    public static DateTime? LastStart(TaskStore store, string id)
    {
        string path = Path.Combine(store.Directory, id + ".log");
        if (!File.Exists(path)) return null;
        string? line = File.ReadLines(path).LastOrDefault(l => l.EndsWith(": start", StringComparison.Ordinal));
        return line is null ? null : DateTime.Parse(line[..line.IndexOf(' ')], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }
}
