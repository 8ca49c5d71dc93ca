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
        TempPath = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
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
