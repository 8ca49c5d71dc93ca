using System.Text.Json;
using EntropyLong.Core;
using EntropyLong.Data;

namespace EntropyLong.Report;

/// <summary>The files of a finished build folder, read as the report needs them.</summary>
public sealed class BuildFiles
{
    public string Directory { get; }
    public string SequencesPath { get; }

    private readonly string? _details;
    /// <summary>Why details.jsonl should be there, when it is not.</summary>
    private readonly string? _detailsExpected;

    /// <summary>Null when the build ran with --no-details (config.json says "details": false).</summary>
    /// <exception cref="UserInputException">details.jsonl is missing from a build that wrote it.</exception>
    public string? DetailsPath => _detailsExpected is { } why
        ? throw new UserInputException($"{Path.Combine(Directory, BuildFolder.Details)}: details.jsonl missing; {why}")
        : _details;

    /// <exception cref="UserInputException">Not a finished build folder.</exception>
    public BuildFiles(string directory)
    {
        Directory = directory;
        if (!System.IO.Directory.Exists(directory)) throw UserInputException.FolderNotFound(directory, "build folder");
        if (!File.Exists(Path.Combine(directory, BuildFolder.Stats)))
            throw new UserInputException($"{Path.Combine(directory, BuildFolder.Stats)}: not found; {directory} is not a finished build (stats.json is written last)");
        SequencesPath = BuildFolder.SequenceNames.Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists)
            ?? throw new UserInputException($"{directory}: no sequences.jsonl (nor .gz, .zst)");
        string details = Path.Combine(directory, BuildFolder.Details);
        if (File.Exists(details)) _details = details;
        // Only a build that says it ran with --no-details lacks the file by design; the check waits until details
        // are asked for, so what needs only the sequences (train --data, build --match) still reads the build.
        else if (ReadJson(BuildFolder.Config) is not { ValueKind: JsonValueKind.Object } config || !config.TryGetProperty("details", out var wrote))
            _detailsExpected = "config.json does not say the build ran with --no-details";
        else if (wrote.ValueKind != JsonValueKind.False)
            _detailsExpected = "config.json says the build wrote it";
    }

    /// <summary>The records of details.jsonl (<see cref="DetailsPath"/>, not null), checked when they end against
    /// stats.json: one per document the build read, less the records the corpus reader skipped, which have none. A
    /// details.jsonl from another build would otherwise be shown beside this build's counts.</summary>
    public IEnumerable<(long Line, DetailsRecord Record)> ReadDetails()
    {
        string path = DetailsPath ?? throw new InvalidOperationException("the build ran with --no-details");
        var stats = BuildFolder.ReadStats(Directory);
        long expected = stats.DocumentsRead - Enum.GetValues<SkipReason>().Sum(r => stats.DocumentsSkipped.GetValueOrDefault(ReadStats.Key(r)));
        return Counted<DetailsRecord>(path, expected, "documents the method saw (documents_read less the corpus records skipped)");
    }

    /// <summary>The records of sequences.jsonl (<see cref="SequencesPath"/>), checked when they end against stats.json's
    /// count of sequences, as <see cref="ReadDetails"/> checks details.jsonl: an emptied, cut or foreign file would
    /// otherwise be read as this build's sequences.</summary>
    public IEnumerable<(long Line, SequenceRecord Record)> ReadSequences()
    {
        return Counted<SequenceRecord>(SequencesPath, BuildFolder.ReadStats(Directory).Sequences, "sequences");
    }

    // The records of a build file, refused when they end if stats.json counts another number of them.
    private IEnumerable<(long Line, T Record)> Counted<T>(string path, long expected, string counted)
    {
        long records = 0;
        foreach (var record in BuildRecords.Read<T>(path))
        {
            records++;
            yield return record;
        }
        if (records != expected)
            throw new UserInputException($"{path}: {records:N0} records, but {Path.Combine(Directory, BuildFolder.Stats)} counts {expected:N0} {counted}; " +
                                         "they are not from the same build");
    }

    /// <summary>config.json, or null when absent (<see cref="BuildFolder.ReadConfig"/>).</summary>
    public JsonElement? ReadConfig() => BuildFolder.ReadConfig(Directory);

    /// <summary>A JSON file of the build, or null when absent (<see cref="BuildFolder.ReadJson"/>).</summary>
    public JsonElement? ReadJson(string name) => BuildFolder.ReadJson(Directory, name);
}
