using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;
using Spectre.Console.Cli;
using YamlDotNet.Serialization;

namespace EntropyLong.Cli;

/// <summary>Hyperparameters from a JSON or YAML file, keys in snake_case (alpha, epsilon, window, top_k, seq_len,
/// order, seed, separator, max_anchors_per_document, max_chunks_per_anchor, min_document_gain, skip_first_tokens, word_entropy, copy_weight, drop_unverified, near_duplicate, hard_negatives; chunks are cut by
/// `index --max-chars`). Errors name the file and key.</summary>
public static class ConfigFile
{
    /// <summary>The options the file states, over <paramref name="defaults"/> (the paper's when null) for the keys it
    /// leaves out.</summary>
    public static EntropyLongOptions Read(string path, EntropyLongOptions? defaults = null)
    {
        var fields = Fields(path);
        var types = Json.GetTypeInfo(typeof(EntropyLongOptions)).Properties.ToDictionary(p => p.Name, p => p.PropertyType);
        foreach (var (key, value) in fields)
        {
            if (!types.TryGetValue(key, out var type))
                throw new UserInputException($"{path}: unknown key '{key}'" + (CommandLineCheck.Closest(key, types.Keys) is { } known
                    ? $"; did you mean '{known}'?" : $" (the keys are {string.Join(", ", types.Keys)})"));
            if (!Fits(value, type))
                throw new UserInputException($"{path}: {key} expects {OptionRangeAttribute.KindOf(type)}, got {value?.ToJsonString() ?? "nothing"}");
            if (RangeOf(key)?.Check(key, value?.Deserialize(type, Json)) is { } problem) throw new UserInputException($"{path}: {problem}");
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

    /// <summary>The keys and values the file states, as JSON whichever its format; not checked against the options.</summary>
    public static JsonObject Fields(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "config file");
        try
        {
            return Parse(path, File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: invalid configuration ({JsonErrors.Message(e)})", e);
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

    // A key stated twice is refused in both formats: either value kept would silently drop the other.
    private static JsonObject Parse(string path, string text)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new JsonException("the file holds no object of hyperparameters");
        // YAML goes through the JSON rules so both formats accept the same keys and values.
        var map = new DeserializerBuilder().WithDuplicateKeyChecking().Build().Deserialize<Dictionary<string, object?>>(text) ?? [];
        return JsonSerializer.SerializeToNode(map.ToDictionary(kv => kv.Key, kv => Coerce(kv.Value)))!.AsObject();
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    // YAML scalars arrive as strings; numbers and booleans must reach JSON as such (whole numbers exactly: a seed
    // may need all 64 bits).
    private static object? Coerce(object? v) => v is not string s ? v
        : long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
        : ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? u
        : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
        : bool.TryParse(s, out var b) ? b : s;
}
