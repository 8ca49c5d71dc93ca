using System.Buffers;
using System.Text;
using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Data;

/// <summary>Streams the records of one JSON-lines file (plain, gzip or zstd) with a bounded buffer:
/// <see cref="Next"/> moves to the next non-blank line, <see cref="Parse"/> turns the current line into
/// a document or a skip. Lines that the caller does not select are never parsed.</summary>
internal sealed class JsonlSource : IRecordSource
{
    private const int InitialBuffer = 1 << 16;

    private readonly string _path;
    private readonly string _fileName;
    private readonly FileStream _file;
    private readonly Stream _stream;
    private readonly int _maxRecordBytes;
    private byte[] _buf = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    private int _start, _end, _scan;
    private bool _eof;
    private int _lineStart, _lineLength;
    private bool _lineTooLarge;

    public JsonlSource(string path, int maxRecordBytes)
    {
        _path = path;
        _fileName = Path.GetFileName(path);
        _maxRecordBytes = maxRecordBytes;
        _file = CorpusFiles.OpenRead(path);
        _stream = CorpusFiles.Decompressed(_file, path);
    }

    /// <summary>1-based number of the current line.</summary>
    public long Position { get; private set; }

    /// <summary>Bytes of the file (compressed, as on disk) consumed so far.</summary>
    public long FilePosition => _file.Position;

    /// <summary>Moves to the next line that is not blank. False at the end of the file.</summary>
    public bool Next()
    {
        while (ReadLine())
        {
            Position++;
            if (_lineTooLarge || !IsBlank(WithoutBom(_buf.AsSpan(_lineStart, _lineLength)))) return true;
        }
        return false;
    }

    /// <summary>Parses the current line. Returns the document, or null with <paramref name="skip"/> set.</summary>
    public Document? Parse(out SkippedRecord skip)
    {
        string location = $"{_path}:{Position}";
        if (_lineTooLarge)
        {
            skip = new(location, SkipReason.TooLarge, $"longer than {_maxRecordBytes} bytes");
            return null;
        }
        var line = WithoutBom(_buf.AsSpan(_lineStart, _lineLength));
        if (Utf8Bytes.FirstInvalid(line) is var invalid and >= 0)
        {
            skip = new(location, SkipReason.InvalidUtf8, $"at byte {invalid + 1}");
            return null;
        }
        var reason = ParseRecord(line, out string? text, out string? id, out string detail);
        if (reason is { } r)
        {
            skip = new(location, r, detail);
            return null;
        }
        skip = default;
        return new Document(id ?? $"{_fileName}:{Position}", text!, location);
    }

    private static SkipReason? ParseRecord(ReadOnlySpan<byte> line, out string? text, out string? id, out string detail)
    {
        text = null;
        id = null;
        detail = "";
        JsonTokenType textToken = JsonTokenType.None;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                detail = "expected a JSON object";
                return SkipReason.MalformedJson;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isText = reader.ValueTextEquals("text"u8);
                bool isId = !isText && reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isText)
                {
                    textToken = reader.TokenType;
                    text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (isId)
                {
                    id = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => null,
                    };
                }
                reader.Skip();
            }
            // Reading past the object's end rejects anything after it on the line.
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            detail = JsonErrors.Message(e); // the line number is ours
            return SkipReason.MalformedJson;
        }
        catch (InvalidOperationException e)
        {
            // GetString on an escape that encodes a lone surrogate.
            detail = e.Message;
            return SkipReason.InvalidUtf8;
        }
        if (string.IsNullOrEmpty(id)) id = null;
        if (text is null)
        {
            detail = textToken == JsonTokenType.None ? "no \"text\" field" : $"\"text\" is {TokenName(textToken)}, not a string";
            return SkipReason.MissingText;
        }
        if (string.IsNullOrWhiteSpace(text)) return SkipReason.EmptyText;
        return null;
    }

    private static string TokenName(JsonTokenType t) => t switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => t.ToString(),
    };

    private static bool IsBlank(ReadOnlySpan<byte> s) => s.IndexOfAnyExcept(" \t\r"u8) < 0;

    // A byte-order mark starts a file, and any line of files joined with cat; it is never part of a JSON record.
    private static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> line) => line.StartsWith("\uFEFF"u8) ? line[3..] : line;

    /// <summary>Sets the current line (without its '\n' and '\r'). A line longer than the limit is
    /// consumed without being kept and flagged as too large.</summary>
    private bool ReadLine()
    {
        _lineTooLarge = false;
        while (true)
        {
            int nl = _buf.AsSpan(_scan, _end - _scan).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int lineEnd = _scan + nl;
                _lineTooLarge |= lineEnd - _start > _maxRecordBytes;
                SetLine(_start, lineEnd - _start);
                _start = _scan = lineEnd + 1;
                return true;
            }
            _scan = _end;
            if (_eof)
            {
                if (_start == _end && !_lineTooLarge) return false;
                _lineTooLarge |= _end - _start > _maxRecordBytes;
                SetLine(_start, _end - _start);
                _start = _end;
                return true;
            }
            if (_end - _start > _maxRecordBytes)
            {
                // Drop what we hold of this line and keep reading to its end.
                _lineTooLarge = true;
                _start = _end = _scan = 0;
            }
            Compact();
            Fill();
        }
    }

    private void SetLine(int start, int length)
    {
        if (length > 0 && _buf[start + length - 1] == (byte)'\r') length--;
        _lineStart = start;
        _lineLength = length;
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _scan -= _start;
            _start = 0;
        }
        if (_end == _buf.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(_buf.Length * 2);
            Buffer.BlockCopy(_buf, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = bigger;
        }
    }

    private void Fill()
    {
        int n;
        try
        {
            n = _stream.Read(_buf, _end, _buf.Length - _end);
        }
        catch (Exception e) when (CorpusFiles.IsUnreadable(e))
        {
            throw CorpusFiles.Unreadable(_path, Position, e);
        }
        if (n == 0)
        {
            _eof = true;
            return;
        }
        _end += n;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _file.Dispose();
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
    }
}
