using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace EntropyLong.Data;

/// <summary>A gzip file's decompressed content that refuses to end early. GZipStream stops silently where a file is
/// cut short (it checks a member's CRC only on reaching the member's end), so at the end of the stream the file's last
/// 8 bytes, the last member's CRC-32 and size mod 2^32, must match the end of the data read; otherwise reading throws
/// <see cref="TruncatedGzipException"/>.</summary>
internal sealed class GzipReadStream : Stream
{
    private const int HeaderAndTrailer = 18; // a shorter file cannot be gzip

    private readonly string _path;
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _complete;
    private TruncatedGzipException? _truncated;

    public GzipReadStream(FileStream file, string path)
    {
        _path = path;
        _file = file;
        _gzip = new GZipStream(file, CompressionMode.Decompress);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _gzip.Read(buffer);
        if (n > 0)
        {
            _crc.Append(buffer[..n]);
            _length += n;
        }
        else if (!buffer.IsEmpty && !_complete)
        {
            _truncated ??= Check();
            if (_truncated is not null) throw _truncated;
            _complete = true;
        }
        return n;
    }

    private TruncatedGzipException? Check()
    {
        long fileLength = _file.Length;
        if (fileLength < HeaderAndTrailer) return new(fileLength, _length);
        Span<byte> trailer = stackalloc byte[8];
        using (var handle = File.OpenHandle(_path)) RandomAccess.Read(handle, trailer, fileLength - 8);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer), size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        // One member: the trailer covers all the data read (its size mod 2^32, so a member over 4 GiB checks too).
        if (size == (uint)_length && crc == _crc.GetCurrentHashAsUInt32()) return null;
        return LastMemberMatches(crc, size) ? null : new(fileLength, _length);
    }

    /// <summary>Several members (files joined with cat): the trailer covers the last one, whose data ends the output.
    /// Its size is known mod 2^32 only, so each start it allows is tried. This takes a second decompression of the file,
    /// paid only by files that are not a single member (or are truncated).</summary>
    private bool LastMemberMatches(uint crc, uint size)
    {
        var starts = new List<long>();
        for (long start = _length - size; start > 0; start -= 1L << 32) starts.Insert(0, start);
        if (starts.Count == 0) return false;
        var crcs = new Crc32?[starts.Count];
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        long at = 0;
        try
        {
            using var gzip = new GZipStream(CorpusFiles.OpenRead(_path), CompressionMode.Decompress);
            int n;
            while ((n = gzip.Read(buffer)) > 0)
            {
                for (int i = 0; i < starts.Count && starts[i] < at + n; i++)
                {
                    int from = (int)Math.Max(0, starts[i] - at);
                    (crcs[i] ??= new Crc32()).Append(buffer.AsSpan(from, n - from));
                }
                at += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return at == _length && crcs.Any(c => (c?.GetCurrentHashAsUInt32() ?? 0) == crc);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gzip.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A gzip file that ends before its last member does (or with bytes after it). An <see cref="IOException"/>,
/// as a truncated zstd stream's is, so <see cref="CorpusFiles.IsUnreadable"/> catches it.</summary>
internal sealed class TruncatedGzipException(long fileLength, long dataBytes)
    : IOException($"the gzip stream is truncated: its last 8 bytes are not the gzip trailer of the {dataBytes} bytes it gave")
{
    /// <summary>Where the data ends, for the one-line error; <paramref name="afterLine"/> is the last line read whole, when the file is read by lines.</summary>
    public string Where(long? afterLine) =>
        fileLength == 0 ? "the file is empty"
        : dataBytes == 0 ? $"its {fileLength} bytes hold no data"
        : afterLine is null ? $"it ends after {dataBytes} bytes of data"
        : afterLine == 0 ? "it ends inside line 1"
        : $"it ends after line {afterLine}";
}
