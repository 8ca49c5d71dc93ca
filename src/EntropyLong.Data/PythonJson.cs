using System.Globalization;
using System.Text;

namespace EntropyLong.Data;

/// <summary>Python's <c>json.dumps(value, sort_keys=True)</c> byte for byte, for the values MDS metadata holds: null,
/// integers, plain ASCII strings, lists and string-keyed dictionaries (with keys sorted). Its separators are
/// ", " and ": ", where System.Text.Json writes none.</summary>
internal static class PythonJson
{
    public static string Dumps(object? value)
    {
        var json = new StringBuilder();
        Write(json, value);
        return json.ToString();
    }

    private static void Write(StringBuilder json, object? value)
    {
        switch (value)
        {
            case null: json.Append("null"); break;
            case int or long: json.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            case string s: WriteString(json, s); break;
            case IReadOnlyDictionary<string, object?> dict:
                json.Append('{');
                bool firstKey = true;
                foreach (var (key, item) in dict.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!firstKey) json.Append(", ");
                    firstKey = false;
                    WriteString(json, key);
                    json.Append(": ");
                    Write(json, item);
                }
                json.Append('}');
                break;
            case System.Collections.IEnumerable list:
                json.Append('[');
                bool firstItem = true;
                foreach (object? item in list)
                {
                    if (!firstItem) json.Append(", ");
                    firstItem = false;
                    Write(json, item);
                }
                json.Append(']');
                break;
            default: throw new ArgumentException($"no JSON form for {value.GetType().Name}", nameof(value));
        }
    }

    // MDS metadata strings (column names, encodings, file names) are plain ASCII, which json.dumps writes as is; others
    // would need its escapes.
    private static void WriteString(StringBuilder json, string s)
    {
        if (s.Any(c => c is < ' ' or > '~' or '"' or '\\')) throw new ArgumentException($"\"{s}\" is not plain ASCII text", nameof(s));
        json.Append('"').Append(s).Append('"');
    }
}
