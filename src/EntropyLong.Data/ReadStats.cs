namespace EntropyLong.Data;

/// <summary>Why a corpus record was skipped. Skips are counted and reported; the run goes on.</summary>
public enum SkipReason
{
    /// <summary>The line is not valid JSON, or not a JSON object.</summary>
    MalformedJson,
    /// <summary>No <c>text</c> field, or it is not a string (null, number, ...).</summary>
    MissingText,
    /// <summary>The bytes are not valid UTF-8 (or a JSON escape encodes a lone surrogate).</summary>
    InvalidUtf8,
    /// <summary>The text is empty or whitespace only.</summary>
    EmptyText,
    /// <summary>The record is longer than <see cref="CorpusReaderOptions.MaxRecordBytes"/>.</summary>
    TooLarge,
}

/// <summary>One skipped record: where (<c>path:line</c> or <c>path:row</c>), why, and a short detail.</summary>
public readonly record struct SkippedRecord(string Location, SkipReason Reason, string Detail)
{
    public override string ToString() =>
        Detail.Length == 0 ? $"{Location}: {ReadStats.Describe(Reason)}" : $"{Location}: {ReadStats.Describe(Reason)} ({Detail})";
}

/// <summary>Counts of a read: documents yielded and records skipped per reason, with the first few
/// skipped records kept as examples for messages.</summary>
public sealed class ReadStats
{
    /// <summary>How many skipped records are kept in <see cref="Examples"/>.</summary>
    public const int MaxExamples = 5;

    private readonly long[] _skips = new long[Enum.GetValues<SkipReason>().Length];
    private readonly List<SkippedRecord> _examples = [];

    /// <summary>Documents yielded.</summary>
    public long Documents { get; private set; }

    /// <summary>Records skipped, all reasons together.</summary>
    public long Skipped => _skips.Sum();

    /// <summary>Records skipped for one reason.</summary>
    public long this[SkipReason reason] => _skips[(int)reason];

    /// <summary>The first <see cref="MaxExamples"/> skipped records, in reading order.</summary>
    public IReadOnlyList<SkippedRecord> Examples => _examples;

    internal void CountDocument() => Documents++;

    internal void CountSkip(in SkippedRecord skip)
    {
        _skips[(int)skip.Reason]++;
        if (_examples.Count < MaxExamples) _examples.Add(skip);
    }

    /// <summary>One line for a log: "2 records skipped (1 malformed JSON, 1 empty text); first: a.jsonl:3: ...",
    /// or "no record skipped".</summary>
    public string Summary()
    {
        long skipped = Skipped;
        if (skipped == 0) return "no record skipped";
        var parts = Enum.GetValues<SkipReason>().Where(r => this[r] > 0).Select(r => $"{this[r]} {Describe(r)}");
        return $"{skipped} record{(skipped == 1 ? "" : "s")} skipped ({string.Join(", ", parts)}); first: {_examples[0]}";
    }

    /// <summary>The reason's key in stats.json's documents_skipped ("malformed_json").</summary>
    public static string Key(SkipReason reason) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    internal static string Describe(SkipReason reason) => reason switch
    {
        SkipReason.MalformedJson => "malformed JSON",
        SkipReason.MissingText => "missing text",
        SkipReason.InvalidUtf8 => "invalid UTF-8",
        SkipReason.EmptyText => "empty text",
        SkipReason.TooLarge => "record too large",
        _ => reason.ToString(),
    };
}
