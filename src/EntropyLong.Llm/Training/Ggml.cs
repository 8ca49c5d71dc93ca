using System.Reflection;
using System.Runtime.InteropServices;

namespace EntropyLong.Llm.Training;

/// <summary>P/Invoke bindings for exactly the ggml functions the trainer uses, from the native ggml that ships with
/// LLamaSharp.Backend.Cpu. Tensors, contexts, graphs and backends are opaque pointers: no struct field is read
/// here, only functions are called, so the bindings do not depend on ggml's struct layouts (ggml_init_params is
/// the one struct passed, by value, and has been {size_t, void*, bool} throughout ggml's history).
/// <para>The libraries are the very files llama.cpp was loaded from (found in /proc/self/maps after LLamaSharp
/// has loaded libllama.so), so the process holds one copy of ggml whichever AVX build LLamaSharp chose.</para></summary>
internal static unsafe partial class Ggml
{
    private const string Base = "ggml-base";
    private const string Cpu = "ggml-cpu";

    public const int TypeF32 = 0, TypeI32 = 26;
    public const int RopeModeNormal = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct InitParams
    {
        public nuint MemSize;
        public IntPtr MemBuffer;
        public byte NoAlloc; // C bool
    }

    static Ggml() => NativeLibrary.SetDllImportResolver(typeof(Ggml).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not (Base or Cpu)) return IntPtr.Zero;
        return NativeLibrary.Load(LoadedPath("lib" + name + ".so"));
    }

    /// <summary>Where the running process loaded <paramref name="file"/> from (LLamaSharp loads llama.cpp first).</summary>
    public static string LoadedPath(string file)
    {
        LlamaRuntime.EnsureLoaded();
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the ggml trainer locates llama.cpp's ggml through /proc/self/maps (Linux)");
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && line.EndsWith("/" + file, StringComparison.Ordinal)) return line[slash..];
        }
        throw new InvalidOperationException($"{file} is not loaded: LLamaSharp's native llama.cpp did not bring ggml with it");
    }

    // context and tensors
    [LibraryImport(Base, EntryPoint = "ggml_init")] public static partial IntPtr Init(InitParams p);
    [LibraryImport(Base, EntryPoint = "ggml_free")] public static partial void Free(IntPtr ctx);
    [LibraryImport(Base, EntryPoint = "ggml_tensor_overhead")] public static partial nuint TensorOverhead();
    [LibraryImport(Base, EntryPoint = "ggml_graph_overhead_custom")] public static partial nuint GraphOverhead(nuint size, [MarshalAs(UnmanagedType.U1)] bool grads);
    [LibraryImport(Base, EntryPoint = "ggml_get_first_tensor")] public static partial IntPtr FirstTensor(IntPtr ctx);
    [LibraryImport(Base, EntryPoint = "ggml_get_next_tensor")] public static partial IntPtr NextTensor(IntPtr ctx, IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_nbytes_pad")] public static partial nuint NBytesPad(IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_nelements")] public static partial long NElements(IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_get_data")] public static partial IntPtr Data(IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_dup_tensor")] public static partial IntPtr DupTensor(IntPtr ctx, IntPtr src);
    [LibraryImport(Base, EntryPoint = "ggml_set_zero")] public static partial IntPtr SetZero(IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_new_tensor_1d")] public static partial IntPtr New1d(IntPtr ctx, int type, long ne0);
    [LibraryImport(Base, EntryPoint = "ggml_new_tensor_2d")] public static partial IntPtr New2d(IntPtr ctx, int type, long ne0, long ne1);
    [LibraryImport(Base, EntryPoint = "ggml_new_tensor_4d")] public static partial IntPtr New4d(IntPtr ctx, int type, long ne0, long ne1, long ne2, long ne3);
    [LibraryImport(Base, EntryPoint = "ggml_set_param")] public static partial void SetParam(IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_set_loss")] public static partial void SetLoss(IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_set_input")] public static partial void SetInput(IntPtr t);

    // operations (all with backward passes in ggml)
    [LibraryImport(Base, EntryPoint = "ggml_get_rows")] public static partial IntPtr GetRows(IntPtr ctx, IntPtr a, IntPtr rows);
    [LibraryImport(Base, EntryPoint = "ggml_rms_norm")] public static partial IntPtr RmsNorm(IntPtr ctx, IntPtr a, float eps);
    [LibraryImport(Base, EntryPoint = "ggml_mul")] public static partial IntPtr Mul(IntPtr ctx, IntPtr a, IntPtr b);
    [LibraryImport(Base, EntryPoint = "ggml_add")] public static partial IntPtr Add(IntPtr ctx, IntPtr a, IntPtr b);
    [LibraryImport(Base, EntryPoint = "ggml_mul_mat")] public static partial IntPtr MulMat(IntPtr ctx, IntPtr a, IntPtr b);
    [LibraryImport(Base, EntryPoint = "ggml_silu")] public static partial IntPtr Silu(IntPtr ctx, IntPtr a);
    [LibraryImport(Base, EntryPoint = "ggml_reshape_2d")] public static partial IntPtr Reshape2d(IntPtr ctx, IntPtr a, long ne0, long ne1);
    [LibraryImport(Base, EntryPoint = "ggml_reshape_3d")] public static partial IntPtr Reshape3d(IntPtr ctx, IntPtr a, long ne0, long ne1, long ne2);
    [LibraryImport(Base, EntryPoint = "ggml_reshape_4d")] public static partial IntPtr Reshape4d(IntPtr ctx, IntPtr a, long ne0, long ne1, long ne2, long ne3);
    [LibraryImport(Base, EntryPoint = "ggml_permute")] public static partial IntPtr Permute(IntPtr ctx, IntPtr a, int ax0, int ax1, int ax2, int ax3);
    [LibraryImport(Base, EntryPoint = "ggml_cont")] public static partial IntPtr Cont(IntPtr ctx, IntPtr a);
    [LibraryImport(Base, EntryPoint = "ggml_rope_ext")]
    public static partial IntPtr RopeExt(IntPtr ctx, IntPtr a, IntPtr positions, IntPtr freqFactors, int nDims, int mode, int nCtxOrig,
        float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast, float betaSlow);
    [LibraryImport(Base, EntryPoint = "ggml_diag_mask_inf")] public static partial IntPtr DiagMaskInf(IntPtr ctx, IntPtr a, int nPast);
    [LibraryImport(Base, EntryPoint = "ggml_soft_max_ext")] public static partial IntPtr SoftMaxExt(IntPtr ctx, IntPtr a, IntPtr mask, float scale, float maxBias);
    [LibraryImport(Base, EntryPoint = "ggml_cross_entropy_loss")] public static partial IntPtr CrossEntropyLoss(IntPtr ctx, IntPtr logits, IntPtr labels);
    [LibraryImport(Base, EntryPoint = "ggml_opt_step_adamw")] public static partial IntPtr OptStepAdamW(IntPtr ctx, IntPtr a, IntPtr grad, IntPtr m, IntPtr v, IntPtr adamwParams);

    // graphs
    [LibraryImport(Base, EntryPoint = "ggml_new_graph_custom")] public static partial IntPtr NewGraph(IntPtr ctx, nuint size, [MarshalAs(UnmanagedType.U1)] bool grads);
    [LibraryImport(Base, EntryPoint = "ggml_build_forward_expand")] public static partial void BuildForwardExpand(IntPtr graph, IntPtr t);
    [LibraryImport(Base, EntryPoint = "ggml_build_backward_expand")] public static partial void BuildBackwardExpand(IntPtr ctx, IntPtr graph, IntPtr* gradAccs);
    [LibraryImport(Base, EntryPoint = "ggml_graph_reset")] public static partial void GraphReset(IntPtr graph);
    [LibraryImport(Base, EntryPoint = "ggml_graph_n_nodes")] public static partial int GraphNodeCount(IntPtr graph);
    [LibraryImport(Base, EntryPoint = "ggml_graph_node")] public static partial IntPtr GraphNode(IntPtr graph, int i);
    [LibraryImport(Base, EntryPoint = "ggml_graph_get_grad")] public static partial IntPtr GraphGrad(IntPtr graph, IntPtr node);

    // CPU backend: computes graphs of tensors allocated in a plain ggml context, with its own work buffer and threads
    [LibraryImport(Cpu, EntryPoint = "ggml_backend_cpu_init")] public static partial IntPtr CpuInit();
    [LibraryImport(Cpu, EntryPoint = "ggml_backend_cpu_set_n_threads")] public static partial void CpuSetThreads(IntPtr backend, int n);
    [LibraryImport(Base, EntryPoint = "ggml_backend_graph_compute")] public static partial int GraphCompute(IntPtr backend, IntPtr graph);
    [LibraryImport(Base, EntryPoint = "ggml_backend_free")] public static partial void BackendFree(IntPtr backend);

    public static Span<float> F32(IntPtr tensor) => new((void*)Data(tensor), checked((int)NElements(tensor)));
    public static Span<int> I32(IntPtr tensor) => new((void*)Data(tensor), checked((int)NElements(tensor)));
}
