using LLama.Native;

namespace EntropyLong.Llm;

/// <summary>Loads llama.cpp once per process. By default the CPU build shipped in LLamaSharp.Backend.Cpu (best AVX
/// level found); ENTROPYLONG_LLAMA_LIB may name a user's own libllama.so (a CUDA build, say), which is then used
/// instead: GPU use is configuration, not code. llama.cpp's log goes to <see cref="Log"/>, not the terminal.</summary>
public static class LlamaRuntime
{
    private static readonly Lock Gate = new();
    private static bool _configured;
    private static readonly List<string> Errors = new();

    /// <summary>Set ENTROPYLONG_LLAMA_LOG=1 to see llama.cpp's own log on stderr.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_configured) return;
            _configured = true;
            bool verbose = Environment.GetEnvironmentVariable("ENTROPYLONG_LLAMA_LOG") is { Length: > 0 };
            var config = NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (verbose) Console.Error.Write(message);
                else if (level == LLamaLogLevel.Error) lock (Errors) Errors.Add(message.TrimEnd());
            });
            if (Environment.GetEnvironmentVariable("ENTROPYLONG_LLAMA_LIB") is { Length: > 0 } lib)
                config.WithLibrary(lib, null);
            // ggml's CPU build uses OpenMP, whose threads spin at every barrier by default. On a machine whose cores
            // are shared (or oversubscribed) the spinning threads take the time the working one needs: passive
            // waiting made ggml training 3-4x faster on a busy 2-core machine. A user's own setting wins. The native
            // environment must be set before libgomp loads (Environment.SetEnvironmentVariable does not reach it).
            if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
                _ = SetEnv("OMP_WAIT_POLICY", "passive", 0);
            NativeApi.llama_empty_call();
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>The last errors llama.cpp logged, to explain a failed load or decode.</summary>
    public static string LastErrors()
    {
        lock (Errors) return string.Join("; ", Errors.TakeLast(3));
    }
}
