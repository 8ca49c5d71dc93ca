using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>Writes a file under a hidden temporary name in the same folder and renames it into place on
/// <see cref="Commit"/>, after an fsync. Until then the final path is untouched (absent, or its old
/// content), so an interrupted run never leaves a file that looks complete; disposing without committing
/// deletes the temporary file.</summary>
public sealed class AtomicFile : IDisposable
{
    private readonly FileStream _stream;
    private bool _committed;

    /// <exception cref="UserInputException">The folder cannot be created or written.</exception>
    public AtomicFile(string path)
    {
        FinalPath = path;
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        TempPath = TempPathFor(path);
        try
        {
            Directory.CreateDirectory(dir);
            _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write: {e.Message}", e);
        }
    }

    /// <summary>A hidden temporary name next to <paramref name="path"/> that names its writer (host and process id), so
    /// a later run can tell the leftovers of a killed writer (<see cref="IsAbandoned"/>) from a live writer's file.</summary>
    public static string TempPathFor(string path)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        return System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>True when <paramref name="tempPath"/> (made by <see cref="TempPathFor"/>) was written by a process of
    /// this host that no longer runs. False when it may still be live: another host's, or a running process's.</summary>
    public static bool IsAbandoned(string tempPath)
    {
        var parts = System.IO.Path.GetFileName(tempPath).Split('.');
        if (parts.Length < 5 || !int.TryParse(parts[^3], out int pid)) return false;
        if (!System.IO.Path.GetFileName(tempPath).EndsWith($".{Environment.MachineName}.{parts[^3]}.{parts[^2]}.tmp", StringComparison.Ordinal)) return false;
        if (pid == Environment.ProcessId) return false;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException) { return true; } // no such process
    }

    /// <summary>Where the file lands on <see cref="Commit"/>.</summary>
    public string FinalPath { get; }

    /// <summary>Where it is written until then.</summary>
    public string TempPath { get; }

    /// <summary>The temporary file, to write to.</summary>
    public Stream Stream => _stream;

    /// <summary>Flushes to disk and renames the file into place (replacing an older one).</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
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

    public void Dispose()
    {
        if (_committed) return;
        _stream.Dispose();
        try { File.Delete(TempPath); }
        catch (IOException) { /* best effort: a hidden .tmp file is never mistaken for output */ }
    }
}
