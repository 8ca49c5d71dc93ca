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
            NativeApi.llama_empty_call();
        }
    }

    /// <summary>The last errors llama.cpp logged, to explain a failed load or decode.</summary>
    public static string LastErrors()
    {
        lock (Errors) return string.Join("; ", Errors.TakeLast(3));
    }
}
