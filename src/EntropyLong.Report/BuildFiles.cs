using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Report;

/// <summary>The files of a finished build folder, read as the report needs them.</summary>
public sealed class BuildFiles
{
    public string Directory { get; }
    public string SequencesPath { get; }
    /// <summary>Null when the build ran with --no-details.</summary>
    public string? DetailsPath { get; }

    /// <exception cref="UserInputException">Not a finished build folder.</exception>
    public BuildFiles(string directory)
    {
        Directory = directory;
        if (!System.IO.Directory.Exists(directory)) throw new UserInputException($"{directory}: build folder not found");
        if (!File.Exists(Path.Combine(directory, BuildFolder.Stats)))
            throw new UserInputException($"{Path.Combine(directory, BuildFolder.Stats)}: not found; {directory} is not a finished build (stats.json is written last)");
        SequencesPath = BuildFolder.SequenceNames.Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists)
            ?? throw new UserInputException($"{directory}: no sequences.jsonl (nor .gz, .zst)");
        string details = Path.Combine(directory, BuildFolder.Details);
        DetailsPath = File.Exists(details) ? details : null;
    }

    /// <summary>A JSON file of the build, or null when absent.</summary>
    public JsonElement? ReadJson(string name)
    {
        string path = Path.Combine(Directory, name);
        if (!File.Exists(path)) return null;
        try { return JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new UserInputException($"{path}: not valid JSON ({e.Message})", e); }
    }
}
