using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;

namespace EntropyLong.Retrieval;

/// <summary>One fixed-size row of <c>chunks.rec</c>; row i describes the chunk under key i. The document id and
/// text (UTF-8, id first) sit at <see cref="DataOffset"/> in <c>chunks.dat</c>.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct ChunkRecord
{
    public long DataOffset;
    public ulong DocumentHash;
    public ulong TextHash;
    public int DocumentIdBytes;
    public int TextBytes;
    public int Ordinal;
    public int Start;
    public int End;
    public int Reserved;

    public static readonly int Size = Marshal.SizeOf<ChunkRecord>();
}

/// <summary>The files of an index folder that hold chunks and their vectors, by key (0, 1, 2, ... in corpus order):
/// <c>chunks.rec</c> (fixed rows), <c>chunks.dat</c> (ids and texts), <c>vectors.f32</c> (rows of floats).</summary>
internal static class ChunkFiles
{
    public const string Records = "chunks.rec", Data = "chunks.dat", Vectors = "vectors.f32";

    /// <summary>64-bit FNV-1a of the UTF-8 bytes: stable across runs and machines (string.GetHashCode is not).</summary>
    public static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in bytes) h = (h ^ b) * 1099511628211UL;
        return h;
    }

    public static ulong Hash(string text) => Hash(Encoding.UTF8.GetBytes(text));
}

/// <summary>Appends chunks and vectors; what was appended counts only once <see cref="Flush"/> has returned and the
/// caller has recorded the new lengths in the manifest (files are cut back to those lengths on reopening).</summary>
internal sealed class ChunkStoreWriter : IDisposable
{
    private readonly FileStream _records, _data, _vectors;
    private readonly int _dimension;
    public long Count { get; private set; }
    public long DataBytes => _data.Length;

    public ChunkStoreWriter(string folder, int dimension, long count, long dataBytes)
    {
        _dimension = dimension;
        Count = count;
        _records = OpenAt(Path.Combine(folder, ChunkFiles.Records), count * ChunkRecord.Size);
        _data = OpenAt(Path.Combine(folder, ChunkFiles.Data), dataBytes);
        _vectors = OpenAt(Path.Combine(folder, ChunkFiles.Vectors), count * dimension * sizeof(float));
    }

    private static FileStream OpenAt(string path, long length)
    {
        var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        if (fs.Length < length)
            throw new Core.UserInputException($"{path}: shorter ({fs.Length} bytes) than its index.json says ({length}); the index folder is damaged, build it again in a new folder");
        fs.SetLength(length);
        fs.Position = length;
        return fs;
    }

    public void Append(Chunk chunk, ReadOnlySpan<float> vector)
    {
        byte[] id = Encoding.UTF8.GetBytes(chunk.DocumentId), text = Encoding.UTF8.GetBytes(chunk.Text);
        var record = new ChunkRecord
        {
            DataOffset = _data.Position,
            DocumentHash = ChunkFiles.Hash(id),
            TextHash = ChunkFiles.Hash(text),
            DocumentIdBytes = id.Length,
            TextBytes = text.Length,
            Ordinal = chunk.Ordinal,
            Start = chunk.Start,
            End = chunk.End,
        };
        _data.Write(id);
        _data.Write(text);
        _records.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<ChunkRecord>(in record)));
        _vectors.Write(MemoryMarshal.AsBytes(vector[.._dimension]));
        Count++;
    }

    public void Flush()
    {
        _data.Flush(flushToDisk: true);
        _vectors.Flush(flushToDisk: true);
        _records.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        _records.Dispose();
        _data.Dispose();
        _vectors.Dispose();
    }
}

/// <summary>Read-only, memory-mapped view of the chunk files: nothing is loaded into RAM up front.</summary>
internal sealed unsafe class ChunkStoreReader : IDisposable
{
    private readonly MappedFile _records, _data, _vectors;
    public long Count { get; }
    public int Dimension { get; }

    public ChunkStoreReader(string folder, int dimension, long count, long dataBytes)
    {
        Count = count;
        Dimension = dimension;
        _records = new MappedFile(Path.Combine(folder, ChunkFiles.Records), count * ChunkRecord.Size);
        _data = new MappedFile(Path.Combine(folder, ChunkFiles.Data), dataBytes);
        _vectors = new MappedFile(Path.Combine(folder, ChunkFiles.Vectors), count * dimension * sizeof(float));
        // Rows are appended in order, so the last one reaches furthest into chunks.dat: checked now, a "dataBytes" too
        // small is refused on opening, not met as chunks that a filtered search passes over without a word.
        try
        {
            if (count > 0) Record((ulong)count - 1);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ref readonly ChunkRecord Record(ulong key)
    {
        if (key >= (ulong)Count) throw new ArgumentOutOfRangeException(nameof(key), key, $"the index holds {Count} chunks");
        ref readonly var r = ref ((ChunkRecord*)_records.Pointer)[key];
        // A row is read from disk: a damaged one must not send the reader outside the mapping of chunks.dat.
        if (r.DataOffset < 0 || r.DataOffset > _data.Length || r.DocumentIdBytes < 0 || r.TextBytes < 0 || (long)r.DocumentIdBytes + r.TextBytes > _data.Length - r.DataOffset)
            throw new Core.UserInputException($"{_records.Path}: row {key} points outside the {_data.Length} bytes of {ChunkFiles.Data} that {IndexManifest.FileName} records " +
                                              "(\"dataBytes\"); the index folder is damaged, build the index again in a new folder");
        return ref r;
    }

    public ReadOnlySpan<byte> DocumentIdUtf8(in ChunkRecord r) => new(_data.Pointer + r.DataOffset, r.DocumentIdBytes);
    public ReadOnlySpan<byte> TextUtf8(in ChunkRecord r) => new(_data.Pointer + r.DataOffset + r.DocumentIdBytes, r.TextBytes);

    /// <summary>All vectors, row-major; key i is row i.</summary>
    public ReadOnlySpan<float> Vectors(long first, long rows) =>
        new((float*)_vectors.Pointer + first * Dimension, checked((int)(rows * Dimension)));

    public Chunk GetChunk(ulong key)
    {
        ref readonly var r = ref Record(key);
        return new Chunk(Encoding.UTF8.GetString(DocumentIdUtf8(r)), r.Ordinal, r.Start, r.End, Encoding.UTF8.GetString(TextUtf8(r)));
    }

    public void Dispose()
    {
        _records.Dispose();
        _data.Dispose();
        _vectors.Dispose();
    }

    /// <summary>A read-only mapping of the first <c>length</c> bytes of a file (none for an empty one).</summary>
    private sealed class MappedFile : IDisposable
    {
        private readonly MemoryMappedFile? _file;
        private readonly MemoryMappedViewAccessor? _view;
        public byte* Pointer { get; }
        public string Path { get; }
        /// <summary>The bytes mapped.</summary>
        public long Length { get; }

        public MappedFile(string path, long length)
        {
            (Path, Length) = (path, length);
            long actual = File.Exists(path) ? new FileInfo(path).Length : -1;
            if (actual < length)
                throw new Core.UserInputException(actual < 0
                    ? $"{path}: missing; the index folder is incomplete"
                    : $"{path}: {actual} bytes, but index.json expects {length}; the index folder is damaged or still being written");
            if (length == 0) return;
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Pointer = p + _view.PointerOffset;
        }

        public void Dispose()
        {
            if (_view is null) return;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file!.Dispose();
        }
    }
}
