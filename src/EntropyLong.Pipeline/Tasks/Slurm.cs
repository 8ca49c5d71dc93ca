using System.Diagnostics;
using System.Text;
using EntropyLong.Core;

namespace EntropyLong.Pipeline.Tasks;

/// <summary>One sbatch script: an array of <see cref="ArrayTasks"/> workers (0: a single job) running
/// <see cref="Command"/>; each worker finds its rank in SLURM_ARRAY_TASK_ID.</summary>
public sealed record SlurmJob(string Name, int ArrayTasks, IReadOnlyList<string> Command)
{
    public string? Partition { get; init; }
    public string? Time { get; init; }
    public int? CpusPerTask { get; init; }
    public string? Memory { get; init; }
}

/// <summary>Writes sbatch scripts and talks to Slurm through its own commands (sbatch, scontrol), so it needs no
/// library and works with any Slurm that has them on PATH. Without slurmdbd there is no sacct: states come from
/// scontrol, which knows a job until MinJobAge after it ends.</summary>
public static class Slurm
{
    public static string Script(SlurmJob job, string logDirectory, string workDirectory)
    {
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append($"#SBATCH --job-name={Word(job.Name)}\n");
        if (job.ArrayTasks > 0) sb.Append($"#SBATCH --array=0-{job.ArrayTasks - 1}\n");
        sb.Append($"#SBATCH --output={Word(Path.Combine(logDirectory, job.ArrayTasks > 0 ? $"{job.Name}-%A_%a.log" : $"{job.Name}-%j.log"))}\n");
        sb.Append($"#SBATCH --chdir={Word(workDirectory)}\n");
        if (job.Partition is { } p) sb.Append($"#SBATCH --partition={Word(p)}\n");
        if (job.Time is { } t) sb.Append($"#SBATCH --time={Word(t)}\n");
        if (job.CpusPerTask is { } c) sb.Append($"#SBATCH --cpus-per-task={c}\n");
        if (job.Memory is { } m) sb.Append($"#SBATCH --mem={Word(m)}\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("echo \"$(date -u +%FT%TZ) $(hostname) job ${SLURM_JOB_ID:-} array task ${SLURM_ARRAY_TASK_ID:-none}\"\n");
        sb.Append("exec ").AppendJoin(' ', job.Command.Select(Quote)).Append('\n');
        return sb.ToString();
    }

    /// <summary>A directive's value as sbatch reads it: words split at whitespace unless quoted, a backslash escaping the
    /// next character (Slurm's own parser, not the shell's).</summary>
    private static string Word(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\') ? "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" : value;

    /// <summary>sbatch --parsable [--dependency=afterok:ID]; returns the job id.</summary>
    /// <exception cref="UserInputException">sbatch is missing or refuses the job.</exception>
    public static string Submit(string script, string? afterOk)
    {
        var args = new List<string> { "--parsable" };
        if (afterOk is not null) args.Add($"--dependency=afterok:{afterOk}");
        args.Add(script);
        var (code, stdout, stderr) = Run("sbatch", args);
        // One line, as every error: sbatch's own message joined (it is often several lines).
        if (code != 0) throw new UserInputException($"sbatch {script} failed (exit {code}): {string.Join(" / ", stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
        return stdout.Trim().Split(';')[0];
    }

    /// <summary>State of each job or array task of <paramref name="jobId"/> per scontrol (empty once Slurm forgot it).</summary>
    public static IReadOnlyList<(string Id, string State, string Reason)> States(string jobId)
    {
        var (code, stdout, _) = Run("scontrol", ["-o", "show", "job", jobId]);
        if (code != 0) return [];
        var states = new List<(string, string, string)>();
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).Where(f => f.Length == 2)
                .GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[1]);
            string id = fields.GetValueOrDefault("JobId", "?");
            if (fields.TryGetValue("ArrayTaskId", out var task)) id = $"{fields.GetValueOrDefault("ArrayJobId", id)}_{task}";
            states.Add((id, fields.GetValueOrDefault("JobState", "?"), fields.GetValueOrDefault("Reason", "")));
        }
        return states;
    }

    /// <summary>How this very CLI is started again: the apphost, or dotnet plus the entry assembly.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string? entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry is { Length: > 0 } ? [process, entry] : [process];
    }

    public static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";

    private static (int Code, string Stdout, string Stderr) Run(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UserInputException($"{file}: cannot run it ({e.Message}); is Slurm's client installed and on PATH?", e);
        }
    }
}
