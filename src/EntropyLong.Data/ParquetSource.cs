using System.Globalization;
using EntropyLong.Core;
using Parquet;
using Parquet.Schema;

namespace EntropyLong.Data;

/// <summary>Streams the rows of one Parquet file, one row group in memory at a time. The file must have a
/// top-level string column <c>text</c>; an <c>id</c> column (string or integer) is optional.</summary>
internal sealed class ParquetSource : IRecordSource
{
    private readonly string _path;
    private readonly string _fileName;
    private readonly FileStream _file;
    private readonly ParquetReader _reader;
    private readonly DataField _text;
    private readonly DataField? _id;
    private readonly long _totalRows;
    private int _group = -1;
    private string?[] _texts = [];
    private string?[]? _ids;
    private int _row = -1;

    public ParquetSource(string path)
    {
        _path = path;
        _fileName = Path.GetFileName(path);
        _file = CorpusFiles.OpenRead(path);
        try
        {
            _reader = Run(ParquetReader.CreateAsync(_file, leaveStreamOpen: true));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _file.Dispose();
            throw new UserInputException($"{path}: not a readable Parquet file: {e.Message}", e);
        }
        var top = _reader.Schema.Fields;
        _text = top.FirstOrDefault(f => f.Name == "text") switch
        {
            DataField { IsArray: false } f when f.ClrType == typeof(ReadOnlyMemory<char>) => f,
            null => Fail($"no \"text\" column (columns: {string.Join(", ", top.Select(f => f.Name))})"),
            var f => Fail($"the \"text\" column is {Describe(f)}, not a string column"),
        };
        _id = top.FirstOrDefault(f => f.Name == "id") switch
        {
            null => null,
            DataField { IsArray: false } f when f.ClrType == typeof(ReadOnlyMemory<char>) || f.ClrType == typeof(long) || f.ClrType == typeof(int) => f,
            var f => Fail($"the \"id\" column is {Describe(f)}; expected a string or integer column"),
        };
        _totalRows = _reader.RowGroups.Sum(g => g.RowCount);
    }

    public long Position { get; private set; }

    public long FilePosition => _totalRows == 0 ? _file.Length : _file.Length * Position / _totalRows;

    public bool Next()
    {
        while (_row + 1 >= _texts.Length)
        {
            if (++_group >= _reader.RowGroupCount) return false;
            Load();
        }
        _row++;
        Position++;
        return true;
    }

    public Document? Parse(out SkippedRecord skip)
    {
        string location = $"{_path}:{Position}";
        string? text = _texts[_row];
        if (text is null)
        {
            skip = new(location, SkipReason.MissingText, "\"text\" is null");
            return null;
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            skip = new(location, SkipReason.EmptyText, "");
            return null;
        }
        skip = default;
        string? id = _ids?[_row];
        return new Document(string.IsNullOrEmpty(id) ? $"{_fileName}:{Position}" : id, text, location);
    }

    private void Load()
    {
        try
        {
            using var group = _reader.OpenRowGroupReader(_group);
            int rows = checked((int)group.RowCount);
            var texts = new string?[rows];
            Run(group.ReadAsync(_text, texts.AsMemory()!, null));
            _ids = _id is null ? null : ReadIds(group, _id, rows);
            _texts = texts;
            _row = -1;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not UserInputException)
        {
            throw new UserInputException($"{_path}: row group {_group + 1} (after row {Position}): cannot read (corrupt file?): {e.Message}", e);
        }
    }

    private static string?[] ReadIds(ParquetRowGroupReader group, DataField field, int rows)
    {
        if (field.ClrType == typeof(long)) return ReadNumbers<long>(group, field, rows);
        if (field.ClrType == typeof(int)) return ReadNumbers<int>(group, field, rows);
        var ids = new string?[rows];
        Run(group.ReadAsync(field, ids.AsMemory()!, null));
        return ids;
    }

    private static string?[] ReadNumbers<T>(ParquetRowGroupReader group, DataField field, int rows) where T : struct, IFormattable
    {
        if (field.IsNullable)
        {
            var values = new T?[rows];
            Run(group.ReadAsync<T>(field, values.AsMemory(), null));
            return Array.ConvertAll(values, v => v?.ToString(null, CultureInfo.InvariantCulture));
        }
        var plain = new T[rows];
        Run(group.ReadAsync<T>(field, plain.AsMemory(), null));
        return Array.ConvertAll(plain, v => (string?)v.ToString(null, CultureInfo.InvariantCulture));
    }

    private static string Describe(Field f) => f is DataField d ? (d.IsArray ? "a list" : $"of type {d.ClrType.Name}") : $"a {f.SchemaType.ToString().ToLowerInvariant()}";

    private DataField Fail(string message)
    {
        Dispose();
        throw new UserInputException($"{_path}: {message}");
    }

    // Parquet.Net is async only; the corpus stream is consumed synchronously, and a console app has no
    // synchronization context to deadlock on.
    private static T Run<T>(Task<T> task) => task.GetAwaiter().GetResult();
    private static void Run(Task task) => task.GetAwaiter().GetResult();
    private static void Run(ValueTask task) => task.AsTask().GetAwaiter().GetResult();

    public void Dispose()
    {
        Run(_reader.DisposeAsync());
        _file.Dispose();
    }
}
