using System.Text.Json;
using System.Text.Json.Serialization;
using EntropyLong.Core;

namespace EntropyLong.Data;

// The records of a build's JSON-lines outputs. Writers serialize these and readers (the report, the tests, `compare`)
// deserialize them, so the schema lives here and nowhere else. Property order is the field order on disk.

/// <summary>A line of sequences.jsonl: one packed training sequence and every dependency it holds.</summary>
public sealed record SequenceRecord(long Index, int NumTokens, string Text, IReadOnlyList<SampleRecord> Samples);

/// <summary>A packed sample: [start_token, end_token) and [start_char, end_char) of the sequence.</summary>
public sealed record SampleRecord(string DocumentId, int StartToken, int EndToken, int StartChar, int EndChar, int ContextsDropped,
    IReadOnlyList<ContextRecord> Contexts);

/// <summary>A context placed before its document: where it sits in the sequence (characters, and tokens when the sample
/// has them), its judgement, and its kind: <c>verified</c>, or <c>negative</c> for a hard negative (a judged chunk that
/// failed verification). Files written before kinds existed hold verified contexts only.</summary>
public sealed record ContextRecord(string ChunkId, string SourceDocumentId, int StartChar, int EndChar,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? StartToken = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? EndToken = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? AnchorToken = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? AnchorPosition = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AnchorText = null,
    double? H = null, double? HPrime = null, double? Delta = null, string Kind = ContextRecord.Verified)
{
    /// <summary>The kinds of context: verified (the method's), negative (a hard negative), retrieved (the `retrieval`
    /// baseline: placed unjudged, so h_prime and delta are null) and distractor (`nextlong`: no anchor either).</summary>
    public const string Verified = "verified", Negative = "negative", Retrieved = "retrieved", Distractor = "distractor";
}

/// <summary>A line of details.jsonl: one document read (used or not), its scorer tokens as text, their entropies, the
/// threshold, and every anchor with its query and retrieved candidates.</summary>
public sealed record DetailsRecord(string DocumentId, string? SkipReason, IReadOnlyList<string> Tokens, IReadOnlyList<double?> Entropy,
    double? Threshold, IReadOnlyList<AnchorRecord> Anchors);

public sealed record AnchorRecord(int Position, double Entropy, string Query, IReadOnlyList<CandidateRecord> Candidates);

/// <summary>A retrieved candidate; h, h_prime and delta are null when it was not judged: a guard excluded it
/// (<c>excluded</c> says why: near_duplicate, contaminated; written only then) or its chunk fills the scorer's context.
/// <c>capped</c> (written only when true): it passed verification, but its anchor had its share of better-ranked
/// chunks (--max-chunks-per-anchor), so it is not kept. <c>document_gain</c> (written only where measured,
/// --min-document-gain): the share of the entropy of the document's tokens outside its anchors that the chunk removes;
/// <c>below_document_gain</c> (written only when true): it passed verification, but that share was too small.</summary>
public sealed record CandidateRecord(string ChunkId, string SourceDocumentId, double Score, double? H, double? HPrime, double? Delta, bool Kept,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Excluded = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Capped = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DocumentGain = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool BelowDocumentGain = false);

/// <summary>Reads the records of <see cref="BuildFolder"/>'s JSON-lines files (writers use <see cref="JsonlWriter"/>).</summary>
public static class BuildRecords
{
    private static readonly JsonSerializerOptions Strict = new(JsonlWriter.DefaultOptions)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>Each record of a JSON-lines file (plain, gzip or zstd) with its 1-based line number; a line that is not
    /// a valid record is a <see cref="UserInputException"/> naming the file and line.</summary>
    public static IEnumerable<(long Line, T Record)> Read<T>(string path)
    {
        // Missing required fields and nulls where the schema has none are errors, not defaults; the optional fields (those
        // written only when they hold something) have defaults.
        foreach (var (line, text) in JsonlLines.Read(path))
        {
            T? record;
            try { record = JsonSerializer.Deserialize<T>(text, Strict); }
            catch (JsonException e) { throw new UserInputException($"{path}:{line}: not a valid {typeof(T).Name.Replace("Record", "")} record ({JsonErrors.Message(e)})", e); }
            yield return (line, record ?? throw new UserInputException($"{path}:{line}: null record"));
        }
    }
}
