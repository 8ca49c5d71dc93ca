using System.Runtime.InteropServices;
using EntropyLong.Core;
using Microsoft.ML.OnnxRuntime;

namespace EntropyLong.Retrieval;

/// <summary>Which native ONNX Runtime the process uses: the CPU build shipped in the Microsoft.ML.OnnxRuntime package,
/// or the library ENTROPYLONG_ORT_LIB names (a CUDA build's libonnxruntime.so, with its provider libraries beside it),
/// so GPU embedding is configuration, as ENTROPYLONG_LLAMA_LIB is for llama.cpp.</summary>
public static class OnnxRuntimeLibrary
{
    public const string Variable = "ENTROPYLONG_ORT_LIB";
    private static readonly Lock Gate = new();
    private static bool _configured;

    /// <summary>Must run before the first ONNX Runtime call of the process; later calls do nothing.</summary>
    public static void Configure()
    {
        lock (Gate)
        {
            if (_configured) return;
            _configured = true;
            if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path) return;
            nint handle;
            try
            {
                handle = NativeLibrary.Load(path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                throw new UserInputException($"{Variable}={path}: cannot load this ONNX Runtime library ({e.Message})", e);
            }
            NativeLibrary.SetDllImportResolver(typeof(InferenceSession).Assembly,
                (name, _, _) => name == "onnxruntime" ? handle : 0);
        }
    }
}
