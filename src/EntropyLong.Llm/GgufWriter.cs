using EntropyLong.Data;
using System.Text;

namespace EntropyLong.Llm;

/// <summary>ggml tensor types this writer emits.</summary>
public enum GgmlType : uint { F32 = 0, F16 = 1 }

/// <summary>A tensor for <see cref="GgufWriter"/>. Shape is in ggml order: Shape[0] is the contiguous (row) length,
/// so a PyTorch [out, in] weight is Shape = [in, out].</summary>
public sealed record GgufTensor(string Name, long[] Shape, float[] Data);

/// <summary>Writes GGUF version 3 files (the format llama.cpp loads): header, metadata key/values, tensor
/// infos, then the aligned tensor data. Only what the project needs: scalars, strings, arrays of those.</summary>
public sealed class GgufWriter
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const int Alignment = 32;
    private readonly List<(string Key, object Value)> _metadata = new();
    private readonly List<(GgufTensor Tensor, GgmlType Type)> _tensors = new();

    public GgufWriter Add(string key, object value)
    {
        _metadata.Add((key, value));
        return this;
    }

    public GgufWriter AddTensor(GgufTensor tensor, GgmlType type)
    {
        long count = tensor.Shape.Aggregate(1L, (a, b) => a * b);
        if (count != tensor.Data.Length) throw new ArgumentException($"tensor {tensor.Name}: shape holds {count} values, data {tensor.Data.Length}");
        _tensors.Add((tensor, type));
        return this;
    }

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it into place.</summary>
    public void Save(string path)
    {
        using var file = new AtomicFile(path);
        using (var w = new BinaryWriter(file.Stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(3u);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach (var (key, value) in _metadata)
            {
                WriteString(w, key);
                WriteValue(w, value, withType: true);
            }
            ulong offset = 0;
            foreach (var (t, type) in _tensors)
            {
                WriteString(w, t.Name);
                w.Write((uint)t.Shape.Length);
                foreach (var d in t.Shape) w.Write((ulong)d);
                w.Write((uint)type);
                w.Write(offset);
                offset = Align(offset + (ulong)(t.Data.Length * (type == GgmlType.F32 ? 4 : 2)));
            }
            Pad(w);
            foreach (var (t, type) in _tensors)
            {
                if (type == GgmlType.F32)
                    foreach (var v in t.Data) w.Write(v);
                else
                    foreach (var v in t.Data) w.Write(BitConverter.HalfToUInt16Bits((Half)v));
                Pad(w);
            }
            w.Flush();
        }
        file.Commit();
    }

    private static ulong Align(ulong x) => (x + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        long pos = w.BaseStream.Position;
        long padded = (long)Align((ulong)pos);
        for (long i = pos; i < padded; i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    // GGUF value type codes.
    private static uint TypeCode(object v) => v switch
    {
        byte => 0, sbyte => 1, ushort => 2, short => 3, uint => 4, int => 5, float => 6, bool => 7, string => 8,
        Array => 9, ulong => 10, long => 11, double => 12,
        _ => throw new ArgumentException($"unsupported GGUF value type {v.GetType()}"),
    };

    private static void WriteValue(BinaryWriter w, object v, bool withType)
    {
        if (withType) w.Write(TypeCode(v));
        switch (v)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case string x: WriteString(w, x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case Array a:
                var elementType = a.GetType().GetElementType()!;
                object sample = elementType == typeof(string) ? "" : Activator.CreateInstance(elementType)!;
                w.Write(TypeCode(sample));
                w.Write((ulong)a.Length);
                foreach (var e in a) WriteValue(w, e!, withType: false);
                break;
        }
    }
}
