using System.Diagnostics;

namespace EntropyLong.TestSupport;

/// <summary>
/// Folders for the tests of one process, all under one root that is removed when the process exits, so a test run
/// leaves nothing in the temp folder. A run that was killed leaves its root behind; the next run removes the roots
/// of processes that are gone.
/// </summary>
public static class Scratch
{
    private static readonly string Parent = Path.Combine(Path.GetTempPath(), "entropylong-tests");

    /// <summary>This process's root: temp/entropylong-tests/PID.</summary>
    public static string Root { get; } = CreateRoot();

    /// <summary>A new, empty folder under <see cref="Root"/>; <paramref name="label"/> says which test made it.</summary>
    public static string NewDirectory(string label) => Directory.CreateDirectory(NewPath(label)).FullName;

    /// <summary>A fresh path under <see cref="Root"/>, for a file or folder the test creates itself (or expects a command to).</summary>
    public static string NewPath(string label, string extension = "") =>
        Path.Combine(Root, label + "-" + Guid.NewGuid().ToString("N")[..12] + extension);

    private static string CreateRoot()
    {
        RemoveRootsOfEndedRuns();
        string root = Path.Combine(Parent, Environment.ProcessId.ToString());
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    }

    private static void RemoveRootsOfEndedRuns()
    {
        if (!Directory.Exists(Parent)) return;
        foreach (string dir in Directory.EnumerateDirectories(Parent))
            if (int.TryParse(Path.GetFileName(dir), out int pid) && !IsRunning(pid)) TryDelete(dir);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
