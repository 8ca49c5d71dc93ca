using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>The one way this project writes a file: under a hidden temporary name in the same folder, renamed into place
/// on <see cref="Commit"/> after an fsync. Until then the final path is untouched (absent, or its old content), so an
/// interrupted run never leaves a file that looks complete; disposing without committing deletes the temporary file.
/// The temporary name is unique and names its writer (host and process id), so two writers of one path never touch
/// each other's file, and any later writer of the path removes what a killed one left (<see cref="IsAbandoned"/>).</summary>
public sealed class AtomicFile : IDisposable
{
    private readonly FileStream _stream;
    private bool _committed;

    /// <exception cref="UserInputException">The folder cannot be created or written.</exception>
    public AtomicFile(string path)
    {
        FinalPath = path;
        TempPath = TempPathFor(path);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(TempPath)!);
            RemoveAbandoned(System.IO.Path.GetDirectoryName(TempPath)!, $".{System.IO.Path.GetFileName(path)}.");
            _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write: {e.Message}", e);
        }
    }

    /// <summary>Where the file lands on <see cref="Commit"/>.</summary>
    public string FinalPath { get; }

    /// <summary>Where it is written until then.</summary>
    public string TempPath { get; }

    /// <summary>The temporary file, to write to.</summary>
    public Stream Stream => _stream;

    /// <summary>A hidden temporary name next to <paramref name="path"/> that names its writer (host and process id).</summary>
    public static string TempPathFor(string path)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        return System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>True when <paramref name="tempPath"/> (made by <see cref="TempPathFor"/>) was written by a process of
    /// this host that no longer runs. False when it may still be live: another host's, or a running process's.</summary>
    public static bool IsAbandoned(string tempPath)
    {
        string name = System.IO.Path.GetFileName(tempPath);
        var parts = name.Split('.');
        if (parts.Length < 5 || !int.TryParse(parts[^3], out int pid)) return false;
        if (!name.EndsWith($".{Environment.MachineName}.{parts[^3]}.{parts[^2]}.tmp", StringComparison.Ordinal)) return false;
        if (pid == Environment.ProcessId) return false;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited || IsZombie(pid);
        }
        catch (ArgumentException) { return true; } // no such process
    }

    // A killed process that nobody has reaped yet (a container whose PID 1 does not reap) still has a process entry, and
    // .NET reports it running; Linux marks it Z in /proc/PID/stat, after the parenthesised command name.
    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Deletes the temporary files and folders (<see cref="ReplaceDirectory"/>'s) in <paramref name="directory"/>
    /// (those starting with <paramref name="prefix"/>, when given) whose writer is a dead process of this host; a live
    /// writer's are kept.</summary>
    public static void RemoveAbandoned(string directory, string prefix = ".")
    {
        if (!Directory.Exists(directory)) return;
        foreach (string f in Directory.EnumerateFileSystemEntries(directory, prefix + "*.tmp"))
            if (IsAbandoned(f))
                try
                {
                    if (Directory.Exists(f)) Directory.Delete(f, recursive: true);
                    else File.Delete(f);
                }
                catch (IOException) { /* gone already, or will be on the next run */ }
    }

    /// <summary>Puts the folder <paramref name="staged"/> (a <see cref="TempPathFor"/> name, written completely) in
    /// place of <paramref name="final"/>. The old folder is moved aside under a temporary name first and deleted last,
    /// so until this call the old content stays whole, and a process killed in between leaves only hidden folders
    /// that the next writer removes.</summary>
    public static void ReplaceDirectory(string staged, string final)
    {
        KillPoint.Reached();
        string? old = Directory.Exists(final) ? TempPathFor(final) : null;
        if (old is not null) Directory.Move(final, old);
        Directory.Move(staged, final);
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    /// <summary>Flushes to disk and renames the file into place (replacing an older one).</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        KillPoint.Reached();
        File.Move(TempPath, FinalPath, overwrite: true);
        _committed = true;
    }

    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> data)
    {
        using var file = new AtomicFile(path);
        file.Stream.Write(data);
        file.Commit();
    }

    /// <summary>Writes <paramref name="path"/> atomically with a writer that needs a file name (a native library's save):
    /// <paramref name="write"/> writes the temporary file, which is then synced and renamed into place.</summary>
    public static void WriteThrough(string path, Action<string> write)
    {
        using var file = new AtomicFile(path);
        file._stream.Dispose();
        write(file.TempPath);
        using (var written = new FileStream(file.TempPath, FileMode.Open, FileAccess.ReadWrite)) written.Flush(flushToDisk: true);
        KillPoint.Reached();
        File.Move(file.TempPath, file.FinalPath, overwrite: true);
        file._committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        _stream.Dispose();
        try { File.Delete(TempPath); }
        catch (IOException) { /* best effort: a hidden .tmp file is never mistaken for output */ }
    }

    /// <summary>A fault-injection point for the tests: with ENTROPYLONG_KILL_AT_COMMIT=K the process kills itself (SIGKILL,
    /// as a scheduler or the OOM killer would) just before its K-th rename, the written temporary file still in place.
    /// Tests kill runs at chosen commits, not at chosen times, so every run of them exercises the same points.</summary>
    private static class KillPoint
    {
        private static readonly int At = int.TryParse(Environment.GetEnvironmentVariable("ENTROPYLONG_KILL_AT_COMMIT"), out int k) ? k : 0;
        private static int _commits;

        public static void Reached()
        {
            if (At > 0 && Interlocked.Increment(ref _commits) == At) System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}
