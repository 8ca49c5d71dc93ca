using EntropyLong.Core;
using LLama.Native;

namespace EntropyLong.Llm;

/// <summary>How a llama.cpp context is made: KV cells, batch sizes, sequences decoded together, threads, and exact mode
/// (F32 KV cache, flash attention off).</summary>
public sealed record LlamaContextOptions(int Cells, int BatchSize, int MicroBatchSize, int Sequences = 1, bool UnifiedCache = false,
    int Threads = 0, bool Exact = false);

/// <summary>Loads llama.cpp once per process, and is the one place a GGUF model is opened and a context made (by the
/// scorer, the evaluation's in-process model and the tokenizers). By default the CPU build shipped in LLamaSharp.Backend.Cpu (best AVX
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

    /// <summary>Checks the file is GGUF, loads llama.cpp, then the model (only its vocabulary, or with
    /// <paramref name="gpuLayers"/> layers offloaded when the llama.cpp build has a GPU backend); failures name the file.</summary>
    public static SafeLlamaModelHandle LoadModel(string path, int gpuLayers = 0, bool vocabularyOnly = false)
    {
        GgufFile.Check(path);
        EnsureLoaded(); // the default parameters come from a native call, which must not run before the library is chosen
        var parameters = LLamaModelParams.Default();
        parameters.n_gpu_layers = gpuLayers;
        parameters.vocab_only = vocabularyOnly;
        try { return SafeLlamaModelHandle.LoadFromFile(path, parameters); }
        catch (Exception e) { throw new UserInputException($"{path}: llama.cpp could not load this model ({e.Message} {LastErrors()})".Trim(), e); }
    }

    /// <summary>A context on <paramref name="model"/> (loaded from <paramref name="path"/>, named in errors).</summary>
    public static SafeLLamaContextHandle CreateContext(SafeLlamaModelHandle model, string path, LlamaContextOptions o)
    {
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)o.Cells;
        p.n_batch = (uint)o.BatchSize;
        p.n_ubatch = (uint)Math.Min(o.MicroBatchSize, o.BatchSize);
        p.n_seq_max = (uint)o.Sequences;
        p.kv_unified = o.UnifiedCache;
        int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
        p.n_threads = threads;
        p.n_threads_batch = threads;
        p.no_perf = true;
        if (o.Exact)
        {
            p.type_k = GGMLType.GGML_TYPE_F32;
            p.type_v = GGMLType.GGML_TYPE_F32;
            p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        }
        try { return model.CreateContext(p); }
        catch (Exception e)
        {
            throw new UserInputException($"{path}: llama.cpp could not create a context of {o.Cells} tokens (the model was trained with {model.ContextSize}): " +
                $"{e.Message} {LastErrors()}".Trim(), e);
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
