using System.Diagnostics;
using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Pipeline.Tasks;

public enum TaskOutcome { Done, AlreadyDone, Busy, Failed }

/// <summary>The completion marker of a task, written last.</summary>
public sealed record TaskMarker(string Task, string Host, int Pid, DateTime FinishedUtc, double Seconds);

/// <summary>Idempotent tasks in a folder. A task runs only under its lock file (<c>&lt;id&gt;.lock</c>, held with an
/// exclusive flock that the kernel drops when the holder dies, even by SIGKILL, so a killed worker never blocks the
/// re-run and two live workers never run the same task). A committed task writes into a hidden temporary folder and
/// renames it to <c>&lt;id&gt;/</c> with its marker <c>done.json</c> already inside, so <c>&lt;id&gt;/</c> exists only
/// complete. An in-place task (a resumable index shard) writes into its final folder and gets its marker last.
/// Every attempt is logged to <c>&lt;id&gt;.log</c>; a failure also leaves <c>&lt;id&gt;.failed</c> with the message.</summary>
public sealed class TaskStore(string directory)
{
    public string Directory { get; } = directory;

    public string PathOf(string id) => Path.Combine(Directory, id);

    public bool IsDone(string id) => File.Exists(Path.Combine(PathOf(id), BuildFolder.DoneMarker));

    public string? FailureOf(string id)
    {
        string path = Path.Combine(Directory, id + ".failed");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>Runs <paramref name="work"/> on a fresh temporary folder unless the task is done or held by another
    /// worker; commits the folder as <c>&lt;id&gt;/</c>. Bad input, I/O errors (a full disk) and engine failures end the
    /// task as <see cref="TaskOutcome.Failed"/> with <paramref name="error"/> set; cancellation propagates.</summary>
    public TaskOutcome RunCommitted(string id, Action<string> work, out string? error) =>
        Run(id, inPlace: false, work, out error);

    /// <summary>Runs <paramref name="work"/> on <paramref name="folder"/> itself (which must tolerate a half-done
    /// earlier attempt), then writes the marker into it.</summary>
    public TaskOutcome RunInPlace(string id, Action<string> work, out string? error) =>
        Run(id, inPlace: true, work, out error);

    private TaskOutcome Run(string id, bool inPlace, Action<string> work, out string? error)
    {
        error = null;
        if (IsDone(id)) return TaskOutcome.AlreadyDone;
        System.IO.Directory.CreateDirectory(Directory);
        using var held = TryLock(Path.Combine(Directory, id + ".lock"));
        if (held is null) return TaskOutcome.Busy;
        if (IsDone(id)) return TaskOutcome.AlreadyDone; // finished by another worker between the check and the lock
        string final = PathOf(id);
        foreach (string stale in System.IO.Directory.GetDirectories(Directory, $".{id}.*.tmp")) System.IO.Directory.Delete(stale, true);
        string target = inPlace ? final : Path.Combine(Directory, $".{id}.{Guid.NewGuid():N}.tmp");
        Log(id, "start");
        var clock = Stopwatch.StartNew();
        try
        {
            System.IO.Directory.CreateDirectory(target);
            work(target);
            var marker = new TaskMarker(id, Environment.MachineName, Environment.ProcessId, DateTime.UtcNow, clock.Elapsed.TotalSeconds);
            AtomicFile.WriteAllBytes(Path.Combine(target, BuildFolder.DoneMarker), JsonSerializer.SerializeToUtf8Bytes(marker, BuildFolder.Json));
            if (!inPlace)
            {
                // A folder left by an older layout without its marker is not output: replace it.
                if (System.IO.Directory.Exists(final)) System.IO.Directory.Delete(final, true);
                System.IO.Directory.Move(target, final);
            }
            File.Delete(Path.Combine(Directory, id + ".failed"));
            Log(id, $"done in {clock.Elapsed.TotalSeconds:F1}s");
            return TaskOutcome.Done;
        }
        catch (Exception e) when (e is UserInputException or IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
        {
            error = e is IOException io && DiskFull.Is(io) ? $"{id}: disk full while writing {target}: {e.Message}" : $"{id}: {e.Message}";
            if (!inPlace) TryDelete(target);
            TryWrite(Path.Combine(Directory, id + ".failed"), error + "\n");
            Log(id, "failed: " + e.Message);
            return TaskOutcome.Failed;
        }
        catch
        {
            if (!inPlace) TryDelete(target);
            Log(id, "interrupted");
            throw;
        }
    }

    /// <summary>An exclusive lock on <paramref name="path"/>, or null when another process holds it. .NET takes
    /// flock(LOCK_EX|LOCK_NB) for FileShare.None on Unix; the kernel releases it when the process exits in any way.</summary>
    public static IDisposable? TryLock(string path)
    {
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            var owner = System.Text.Encoding.UTF8.GetBytes($"{Environment.MachineName} {Environment.ProcessId}\n");
            stream.SetLength(0);
            stream.Write(owner);
            stream.Flush();
            return stream;
        }
        catch (IOException e) when (e.HResult is 11 or unchecked((int)0x80070020)) // EWOULDBLOCK; Windows: sharing violation
        {
            return null;
        }
    }

    private void Log(string id, string message) =>
        TryAppend(Path.Combine(Directory, id + ".log"), $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Environment.MachineName} pid {Environment.ProcessId}: {message}\n");

    private static void TryAppend(string path, string text)
    {
        try { File.AppendAllText(path, text); }
        catch (IOException) { /* a log line lost to a full disk must not hide the task's own error */ }
    }

    private static void TryWrite(string path, string text)
    {
        try { File.WriteAllText(path, text); }
        catch (IOException) { /* as above */ }
    }

    private static void TryDelete(string folder)
    {
        try { if (System.IO.Directory.Exists(folder)) System.IO.Directory.Delete(folder, true); }
        catch (IOException) { /* the next attempt removes it under the lock */ }
    }
}
