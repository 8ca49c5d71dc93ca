using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EntropyLong.Data;

/// <summary>Writes one JSON object per line, gzip- or zstd-compressed when the path ends in .gz or
/// .zst/.zstd. The file appears under its name only on <see cref="Complete"/> (see <see cref="AtomicFile"/>);
/// disposing without completing leaves no file.</summary>
public sealed class JsonlWriter : IDisposable
{
    /// <summary>snake_case property names, non-ASCII text kept as is (the file is not HTML).</summary>
    public static readonly JsonSerializerOptions DefaultOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // What `gzip -n < /dev/null` writes: a header, an empty final block, a zero CRC and size.
    private static readonly byte[] EmptyGzip = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly AtomicFile _file;
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _json;
    private readonly JsonSerializerOptions _options;
    private bool _completed;

    public JsonlWriter(string path, JsonSerializerOptions? options = null)
    {
        _options = options ?? DefaultOptions;
        _file = new AtomicFile(path);
        _stream = CorpusFiles.Compression(path) switch
        {
            Compression.Gzip => new GZipStream(_file.Stream, CompressionLevel.Optimal, leaveOpen: true),
            Compression.Zstd => new ZstdSharp.CompressionStream(_file.Stream, 6, leaveOpen: true),
            _ => _file.Stream,
        };
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { Encoder = _options.Encoder, SkipValidation = false });
    }

    /// <summary>Records written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Writes <paramref name="record"/> (which must serialize to a JSON object) as one line.</summary>
    public void Write<T>(T record)
    {
        JsonSerializer.Serialize(_json, record, _options);
        EndLine();
    }

    /// <summary>Writes one line with a hand-written object: <paramref name="writeObject"/> writes exactly one
    /// JSON value (StartObject ... EndObject). For hot paths that avoid reflection.</summary>
    public void Write(Action<Utf8JsonWriter> writeObject)
    {
        writeObject(_json);
        EndLine();
    }

    private void EndLine()
    {
        _json.Flush();
        _json.Reset();
        _stream.WriteByte((byte)'\n');
        Count++;
    }

    /// <summary>Finishes the compressed stream, syncs and renames the file into place.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _json.Dispose();
        if (_stream != _file.Stream) _stream.Dispose(); // ends the compressed frame, leaves the file open
        // GZipStream writes nothing for no data, and an empty .gz file is refused as truncated (GzipReadStream).
        if (_stream is GZipStream && Count == 0) _file.Stream.Write(EmptyGzip);
        _file.Commit();
        _completed = true;
    }

    public void Dispose()
    {
        if (_completed) return;
        _completed = true;
        _json.Dispose();
        if (_stream != _file.Stream) _stream.Dispose();
        _file.Dispose();
    }
}
