using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary>The keys of a JSON object in one of the index folder's own files, read one by one, so that a file edited
/// by hand or damaged is refused naming the key and what it should hold (the serializer's messages name .NET types, and
/// it took a missing count for 0).</summary>
internal readonly struct JsonKeys
{
    public const string Remedy = "the file was edited or damaged: restore it, or build the index again in a new folder";

    private readonly string _path, _prefix;
    private readonly JsonElement _object;

    public JsonKeys(string path, JsonElement value, string prefix = "")
    {
        (_path, _prefix, _object) = (path, prefix, value);
        if (value.ValueKind != JsonValueKind.Object)
            throw prefix.Length == 0 ? Damaged($"holds {Show(value)}, not a JSON object") : Bad(prefix.TrimEnd('.'), value, "an object");
    }

    /// <summary>The file parsed, a repeated key refused; a file that is not JSON is placed at its line.</summary>
    public static JsonDocument Parse(string path, string what)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().Trim(" \t\r\n"u8).IsEmpty) throw new UserInputException($"{path}: empty; {Remedy}");
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: not {what} ({JsonErrors.Message(e)}); {Remedy}", e);
        }
    }

    public UserInputException Damaged(string problem) => new($"{_path}: {problem}; {Remedy}");

    private UserInputException Bad(string key, JsonElement value, string expected) => Damaged($"\"{key}\" is {Show(value)}, not {expected}");

    private JsonElement Required(string key) =>
        _object.TryGetProperty(key, out var value) ? value : throw Damaged($"\"{_prefix}{key}\" is missing");

    public long Long(string key, long min) => Whole(key, min, long.MaxValue);

    public int Int(string key, int min) => (int)Whole(key, min, int.MaxValue);

    private long Whole(string key, long min, long max)
    {
        var value = Required(key);
        long n = 0;
        bool whole = value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out n);
        if (whole && n >= min && n <= max) return n;
        throw Bad(_prefix + key, value, whole && n > max ? $"a whole number from {min} to {max}" : $"a whole number of at least {min}");
    }

    public string String(string key)
    {
        var value = Required(key);
        return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : throw Bad(_prefix + key, value, "a non-empty string");
    }

    /// <summary>Null when the key is missing or null; a string given must pass <paramref name="valid"/> when given.</summary>
    public string? OptionalString(string key, Func<string, bool>? valid = null, string expected = "a string") =>
        !_object.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String && (valid is null || valid(value.GetString()!)) ? value.GetString() : throw Bad(_prefix + key, value, expected);

    /// <summary>Null when the key is missing or null.</summary>
    public JsonKeys? OptionalObject(string key) =>
        !_object.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null : new JsonKeys(_path, value, $"{_prefix}{key}.");

    // A value's JSON text, but what may span lines (an object, a list) or run long (a string) only by its kind.
    private static string Show(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String when value.GetRawText().Length > 42 => "a string",
        _ => value.GetRawText(),
    };
}
