using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace EntropyLong.Retrieval;

/// <summary>The C API of the native library that Cloud.Unum.USearch ships. Called directly because the package's
/// managed wrapper has no filtered search, no span-based search and no search-expansion setting.</summary>
internal static unsafe partial class USearchNative
{
    private const string Lib = "libusearch_c";

    [StructLayout(LayoutKind.Sequential)]
    internal struct InitOptions
    {
        public MetricKind MetricKind;
        public nint Metric;
        public ScalarKind Quantization;
        public nuint Dimensions;
        public nuint Connectivity;
        public nuint ExpansionAdd;
        public nuint ExpansionSearch;
        public byte Multi; // C bool
    }

    [LibraryImport(Lib)] internal static partial nint usearch_init(InitOptions* options, out nint error);
    [LibraryImport(Lib)] internal static partial void usearch_free(nint index, out nint error);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void usearch_save(nint index, string path, out nint error);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void usearch_load(nint index, string path, out nint error);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void usearch_view(nint index, string path, out nint error);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void usearch_metadata(string path, InitOptions* options, out nint error);
    [LibraryImport(Lib)] internal static partial nuint usearch_size(nint index, out nint error);
    [LibraryImport(Lib)] internal static partial nuint usearch_dimensions(nint index, out nint error);
    [LibraryImport(Lib)] internal static partial nuint usearch_capacity(nint index, out nint error);
    [LibraryImport(Lib)] internal static partial nuint usearch_serialized_length(nint index, out nint error);
    [LibraryImport(Lib)] internal static partial void usearch_reserve(nint index, nuint capacity, out nint error);
    [LibraryImport(Lib)] internal static partial void usearch_change_expansion_search(nint index, nuint expansion, out nint error);
    [LibraryImport(Lib)] internal static partial void usearch_add(nint index, ulong key, float* vector, ScalarKind kind, out nint error);
    [LibraryImport(Lib)] internal static partial nuint usearch_search(nint index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, out nint error);
    [LibraryImport(Lib)]
    internal static partial nuint usearch_filtered_search(nint index, float* query, ScalarKind kind, nuint count,
        delegate* unmanaged<ulong, nint, int> filter, nint state, ulong* keys, float* distances, out nint error);

    /// <summary>Error strings are static in the library and need no freeing.</summary>
    internal static void Check(nint error, string what)
    {
        if (error != 0) throw new USearchException($"{what}: {Marshal.PtrToStringUTF8(error)}");
    }
}
