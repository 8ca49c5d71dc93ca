using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using Spectre.Console.Cli;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EntropyLong.Cli;

/// <summary>Hyperparameters from a JSON or YAML file, keys in snake_case (alpha, epsilon, window, top_k, seq_len,
/// order, seed, separator, max_anchors_per_document, max_chunks_per_anchor, min_document_gain, skip_first_tokens, word_entropy, copy_weight, drop_unverified, near_duplicate, hard_negatives; chunks are cut by
/// `index --max-chars`). Errors name the file, the line and the key.</summary>
public static class ConfigFile
{
    /// <summary>The options the file states, over <paramref name="defaults"/> (the paper's when null) for the keys it
    /// leaves out.</summary>
    public static EntropyLongOptions Read(string path, EntropyLongOptions? defaults = null)
    {
        var (fields, lines) = Load(path);
        var types = Keys;
        foreach (var (key, value) in fields)
        {
            string where = $"{path}:{lines[key]}";
            if (!types.TryGetValue(key, out var type))
                throw new UserInputException($"{where}: unknown key '{key}'" + (CommandLineCheck.Closest(key, types.Keys) is { } known
                    ? $"; did you mean '{known}'?" : $" (the keys are {string.Join(", ", types.Keys)})"));
            if (!Fits(value, type))
                throw new UserInputException($"{where}: {key} expects {OptionRangeAttribute.KindOf(type)}, got {value?.ToJsonString() ?? "nothing"}");
            if (RangeOf(key)?.Check(key, value?.Deserialize(type, Json)) is { } problem) throw new UserInputException($"{where}: {problem}");
        }
        var merged = JsonSerializer.SerializeToNode(defaults ?? new EntropyLongOptions(), Json)!.AsObject();
        foreach (var (key, value) in fields) merged[key] = value?.DeepClone();
        var options = merged.Deserialize<EntropyLongOptions>(Json)!;
        try
        {
            options.Validate();
        }
        catch (UserInputException e)
        {
            throw new UserInputException($"{path}: {e.Message}", e);
        }
        return options;
    }

    /// <summary>The keys a file may state, with the type of each (README.md lists them; a test holds the two together).</summary>
    internal static Dictionary<string, Type> Keys =>
        Json.GetTypeInfo(typeof(EntropyLongOptions)).Properties.ToDictionary(p => p.Name, p => p.PropertyType);

    /// <summary>The keys and values the file states, as JSON whichever its format; not checked against the options.</summary>
    public static JsonObject Fields(string path) => Load(path).Fields;

    /// <summary>The fields, and the line (from 1) each key is on, so an error about a key can name it.</summary>
    private static (JsonObject Fields, Dictionary<string, long> Lines) Load(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "config file");
        try
        {
            return Parse(path, File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or YamlException)
        {
            string where = e is YamlException y ? $"{path}:{y.Start.Line}" : JsonErrors.Where(path, e);
            throw new UserInputException($"{where}: invalid configuration ({JsonErrors.Message(e)})", e);
        }
    }

    /// <summary>The range of the build flag that sets the same value as <paramref name="key"/>, so a file accepts only
    /// what the command line does; null for a key whose flag has none.</summary>
    internal static OptionRangeAttribute? RangeOf(string key)
    {
        string flag = key switch { "max_anchors_per_document" => "max-anchors", "skip_first_tokens" => "skip-first", _ => key.Replace('_', '-') };
        return typeof(Commands.BuildCommand.Settings).GetProperties()
            .FirstOrDefault(p => p.GetCustomAttribute<CommandOptionAttribute>()?.LongNames.Contains(flag) == true)
            ?.GetCustomAttribute<OptionRangeAttribute>();
    }

    private static bool Fits(JsonNode? value, Type type)
    {
        if (value is null) return Nullable.GetUnderlyingType(type) is not null;
        try
        {
            JsonSerializer.Deserialize(value, type, Json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // A key stated twice is refused in both formats, at its second line: either value kept would silently drop the other.
    private static (JsonObject, Dictionary<string, long>) Parse(string path, string text)
    {
        var lines = new Dictionary<string, long>();
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            // JsonNode keeps no positions: a reader pass finds the line of each top-level key (and any syntax error).
            byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(text);
            var reader = new Utf8JsonReader(utf8);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                long line = 1 + utf8.AsSpan(0, (int)reader.TokenStartIndex).Count((byte)'\n');
                if (!lines.TryAdd(reader.GetString()!, line))
                    throw new UserInputException($"{path}:{line}: invalid configuration (Duplicate key {reader.GetString()})");
            }
            return (JsonNode.Parse(utf8) as JsonObject ?? throw new JsonException("the file holds no object of hyperparameters"), lines);
        }
        // YAML goes through the JSON rules so both formats accept the same keys and values. Read as nodes, a repeated
        // key is reported at its own line (the deserializer named the mapping's first line) and a quoted scalar stays text.
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        if (yaml.Documents.Count == 0) return ([], lines);
        if (yaml.Documents.Count > 1) throw new YamlException(yaml.Documents[1].RootNode.Start, yaml.Documents[1].RootNode.End, "the file holds more than one YAML document");
        if (yaml.Documents[0].RootNode is not YamlMappingNode root) throw new JsonException("the file holds no mapping of hyperparameters");
        var fields = new JsonObject();
        foreach (var (key, value) in root.Children)
        {
            string name = key is YamlScalarNode { Value: { } keyName } ? keyName : throw new YamlException(key.Start, key.End, "a key must be a name");
            fields[name] = ToJson(value);
            lines[name] = key.Start.Line;
        }
        return (fields, lines);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain } plain => Coerce(plain.Value!),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(kv.Key.ToString(), ToJson(kv.Value)))),
        _ => throw new YamlException(node.Start, node.End, "an alias or tag this file cannot hold"),
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    // Plain YAML scalars are text; numbers and booleans must reach JSON as such (whole numbers exactly: a seed may
    // need all 64 bits). NaN and infinities (also a number too large for a double) have no JSON form: they stay
    // text, refused as not a number.
    private static JsonValue Coerce(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l)
        : ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? JsonValue.Create(u)
        : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? JsonValue.Create(d)
        : bool.TryParse(s, out var b) ? JsonValue.Create(b) : JsonValue.Create(s);
}
