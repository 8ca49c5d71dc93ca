using EntropyLong.Data;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cloud.Unum.USearch;
using EntropyLong.Core;

namespace EntropyLong.Retrieval;

/// <summary><c>index.json</c>: what an index folder holds and how far its build got. Rewritten atomically after
/// every committed batch, so a killed build resumes from the last one.</summary>
public sealed record IndexManifest
{
    public const string FileName = "index.json";
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("dimension")] public required int Dimension { get; init; }
    [JsonPropertyName("maxChars")] public required int MaxChars { get; init; }
    /// <summary>Corpus documents consumed, in corpus order.</summary>
    [JsonPropertyName("documents")] public long Documents { get; init; }
    [JsonPropertyName("lastDocumentId")] public string? LastDocumentId { get; init; }
    /// <summary>SHA-256 of the documents consumed (id and text, length-prefixed, in corpus order), so that a rerun can
    /// tell the same corpus from one whose text changed; null in indexes made before it was recorded.</summary>
    [JsonPropertyName("corpusSha256")] public string? CorpusSha256 { get; init; }
    [JsonPropertyName("chunks")] public long Chunks { get; init; }
    [JsonPropertyName("dataBytes")] public long DataBytes { get; init; }
    /// <summary>Null until an HNSW graph is saved.</summary>
    [JsonPropertyName("hnsw")] public HnswFileInfo? Hnsw { get; init; }

    public static IndexManifest? TryRead(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        using var document = JsonKeys.Parse(path, "an index manifest");
        var k = new JsonKeys(path, document.RootElement);
        // The format first: another format may have other keys.
        int format = k.Int("format", 0);
        if (format != CurrentFormat)
            throw new UserInputException($"{path}: index format {format} is not supported (expected {CurrentFormat}); build the index again");
        var hnsw = k.OptionalObject("hnsw");
        var m = new IndexManifest
        {
            Model = k.String("model"),
            Dimension = k.Int("dimension", 1),
            MaxChars = k.Int("maxChars", 1),
            Documents = k.Long("documents", 0),
            LastDocumentId = k.OptionalString("lastDocumentId"),
            CorpusSha256 = k.OptionalString("corpusSha256", sha => sha.Length == 64 && sha.All(char.IsAsciiHexDigitLower), "a SHA-256 (64 lowercase hex digits)"),
            Chunks = k.Long("chunks", 0),
            DataBytes = k.Long("dataBytes", 0),
            Hnsw = hnsw is not { } h ? null : new HnswFileInfo
            {
                Vectors = h.Long("vectors", 0),
                Connectivity = h.Int("connectivity", 1),
                ExpansionAdd = h.Int("expansionAdd", 1),
                ExpansionSearch = h.Int("expansionSearch", 1),
                Quantization = h.OptionalString("quantization") ?? nameof(ScalarKind.Float32),
                FileBytes = h.Long("fileBytes", 0),
                Fingerprint = h.String("fingerprint"),
            },
        };
        // What a build writes together: a rerun checks the last document's id, and a graph holds no chunk the store lacks.
        if (m.Documents > 0 && m.LastDocumentId is null)
            throw k.Damaged($"\"lastDocumentId\" is missing, but \"documents\" is {m.Documents}");
        if (m.Hnsw is { } info && info.Vectors > m.Chunks)
            throw k.Damaged($"\"hnsw.vectors\" is {info.Vectors}, more than \"chunks\" ({m.Chunks})");
        return m;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public void Write(string folder)
    {
        AtomicFile.WriteAllBytes(Path.Combine(folder, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Indented));
    }

    /// <summary>Refuses vectors from another model or dimension: mixing them would make scores meaningless.</summary>
    public void CheckCompatible(string folder, IEmbedder embedder)
    {
        // The same model gives one dimension: another one recorded is a damaged file, not another model.
        if (Model == embedder.ModelId && Dimension != embedder.Dimension)
            throw new UserInputException($"{Path.Combine(folder, FileName)}: \"dimension\" is {Dimension}, but model '{Model}', which built the index, " +
                                         $"gives {embedder.Dimension}-dimensional vectors; {JsonKeys.Remedy}");
        if (Model != embedder.ModelId || Dimension != embedder.Dimension)
            throw new UserInputException(
                $"{Path.Combine(folder, FileName)}: the index was built with model '{Model}' ({Dimension} dimensions), " +
                $"but this run uses '{embedder.ModelId}' ({embedder.Dimension} dimensions); use the same --model, or another index folder");
    }
}

/// <summary>The saved graph <c>hnsw.usearch</c>: how many vectors it holds, its settings, and a fingerprint that
/// catches a truncated or overwritten file before USearch maps it.</summary>
public sealed record HnswFileInfo
{
    public const string FileName = "hnsw.usearch";

    [JsonPropertyName("vectors")] public long Vectors { get; init; }
    [JsonPropertyName("connectivity")] public int Connectivity { get; init; }
    [JsonPropertyName("expansionAdd")] public int ExpansionAdd { get; init; }
    [JsonPropertyName("expansionSearch")] public int ExpansionSearch { get; init; }
    /// <summary>The graph's <see cref="ScalarKind"/> name; manifests written before quantization existed lack the key
    /// and hold float32 graphs.</summary>
    [JsonPropertyName("quantization")] public string Quantization { get; init; } = nameof(ScalarKind.Float32);
    [JsonPropertyName("fileBytes")] public long FileBytes { get; init; }
    [JsonPropertyName("fingerprint")] public string Fingerprint { get; init; } = "";

    /// <summary>The graph's scalar kind; null for a name this version does not know.</summary>
    internal ScalarKind? Kind => Enum.TryParse<ScalarKind>(Quantization, out var kind) && Quantizations.ByName.Values.Contains(kind) ? kind : null;

    /// <summary>Hash of the file's length and its first and last 1 MiB.</summary>
    internal static string ComputeFingerprint(string path)
    {
        using var fs = File.OpenRead(path);
        const int Window = 1 << 20;
        var head = new byte[(int)Math.Min(Window, fs.Length)];
        fs.ReadExactly(head);
        var tail = new byte[(int)Math.Min(Window, fs.Length)];
        fs.Position = fs.Length - tail.Length;
        fs.ReadExactly(tail);
        ulong h = ChunkFiles.Hash(head) ^ (ChunkFiles.Hash(tail) * 31) ^ (ulong)fs.Length;
        return h.ToString("x16");
    }
}
