using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>The layout of the folders the CLI writes, in one place: a build's output files, the task folders of a
/// sharded run and their completion marker, the shard folders of a sharded index. Writers, readers, the report and the
/// tests all name files through here.</summary>
public static class BuildFolder
{
    public const string Stats = "stats.json";
    public const string Config = "config.json";
    public const string Details = "details.jsonl";
    public const string Mds = "mds";
    /// <summary>The Parquet copy of the sequences (build --format parquet): <see cref="ParquetPart"/> files.</summary>
    public const string Parquet = "parquet";
    /// <summary>The dataset card (Hugging Face convention), written by every build.</summary>
    public const string Card = "README.md";
    public const string Sequences = "sequences.jsonl";

    /// <summary>A finished build's stats.json; a missing or foreign file is a <see cref="UserInputException"/>, whose
    /// message ends with <paramref name="remedy"/> when given.</summary>
    public static BuildStats ReadStats(string folder, string? remedy = null)
    {
        string path = Path.Combine(folder, Stats);
        string then = remedy is null ? "" : "; " + remedy;
        if (!File.Exists(path)) throw new UserInputException($"{path}: not found{(remedy is null ? "; expected a finished build's output folder" : then)}");
        try
        {
            return JsonSerializer.Deserialize<BuildStats>(File.ReadAllBytes(path), Json) ?? throw new UserInputException($"{path}: empty{then}");
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{JsonErrors.Where(path, e)}: not a build's stats ({JsonErrors.Message(e)}){then}", e);
        }
    }
    /// <summary>A build's config.json, or null when absent.</summary>
    /// <exception cref="UserInputException">It is not valid JSON, or not a JSON object.</exception>
    public static JsonElement? ReadConfig(string folder) => ReadJson(folder, Config) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } config => config,
        _ => throw new UserInputException($"{Path.Combine(folder, Config)}: not a JSON object"),
    };

    /// <summary>A JSON file of a build folder, or null when absent.</summary>
    /// <exception cref="UserInputException">It is not valid JSON.</exception>
    public static JsonElement? ReadJson(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        if (!File.Exists(path)) return null;
        try { return JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new UserInputException($"{JsonErrors.Where(path, e)}: not valid JSON ({JsonErrors.Message(e)})", e); }
    }

    /// <summary>The names sequences.jsonl may take (--sequences), plain or compressed.</summary>
    public static readonly IReadOnlyList<string> SequenceNames = [Sequences, "sequences.jsonl.gz", "sequences.jsonl.zst", "sequences.jsonl.zstd"];

    /// <summary>"part-00003.parquet": a file of <see cref="Parquet"/>; <see cref="ParquetParts"/> matches them all.</summary>
    public static string ParquetPart(int part) => $"part-{part:00000}.parquet";
    public const string ParquetParts = "part-*.parquet";

    /// <summary>A sharded build's plan (shards, files, configuration), and the folder of its tasks.</summary>
    public const string Plan = "plan.json";
    public const string Tasks = "tasks";
    /// <summary>Locked by an unsharded build while it writes the folder.</summary>
    public const string BuildLock = ".build.lock";
    /// <summary>Written last into a finished task's folder.</summary>
    public const string DoneMarker = "done.json";

    /// <summary>"shard-0003": an index shard's folder (and its task).</summary>
    public static string IndexShard(int shard) => $"shard-{shard:0000}";

    /// <summary>"build-0003": a build shard's task folder under <see cref="Tasks"/>.</summary>
    public static string BuildTask(int shard) => $"build-{shard:0000}";

    /// <summary>snake_case keys, non-ASCII text as is, indented: stats.json, config.json, plan.json and markers.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        // "order": "shuffle", as --order and config files name it (a number reads back too: older config.json files).
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> as indented JSON, atomically.</summary>
    public static void WriteJson<T>(string path, T value) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, Json));
}
