using System.Text.Json;
using EntropyLong.Core;
using YamlDotNet.Serialization;

namespace EntropyLong.Cli;

/// <summary>Hyperparameters from a JSON or YAML file, keys in snake_case (alpha, epsilon, window, top_k, seq_len,
/// order, seed, separator, max_anchors_per_document, chunk_chars, drop_unverified).</summary>
public static class ConfigFile
{
    public static EntropyLongOptions Read(string path, EntropyLongOptions defaults)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: config file not found");
        string text = File.ReadAllText(path);
        try
        {
            if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                // YAML: read into a map, then through the JSON rules so both formats accept the same keys.
                var map = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(text) ?? new();
                text = JsonSerializer.Serialize(map.ToDictionary(kv => kv.Key, kv => Coerce(kv.Value)));
            }
            return JsonSerializer.Deserialize<EntropyLongOptions>(text, Json) ?? defaults;
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException or NotSupportedException)
        {
            throw new UserInputException($"{path}: invalid configuration ({e.Message})", e);
        }
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    // YAML scalars arrive as strings; numbers and booleans must reach JSON as such.
    private static object? Coerce(object? v) => v is string s
        ? double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : bool.TryParse(s, out var b) ? b : s
        : v;
}
