using System.Text.Encodings.Web;
using System.Text.Json;

namespace EntropyLong.Eval;

/// <summary>JSON as people and Python read it: non-ASCII and quotes left as they are.</summary>
public static class EvalJson
{
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}
