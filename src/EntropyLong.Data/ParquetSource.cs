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
            _reader = OpenReader(path, _file);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
        var top = _reader.Schema.Fields;
        _text = top.FirstOrDefault(f => f.Name == "text") switch
        {
            DataField f when IsString(f) => f,
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
            var texts = ReadStrings(group, _text, rows);
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
        return ReadStrings(group, field, rows);
    }

    private static string?[] ReadStrings(ParquetRowGroupReader group, DataField field, int rows)
    {
        var values = new string?[rows];
        Run(group.ReadAsync(field, values.AsMemory()!, null));
        return values;
    }

    private static bool IsString(Field f) => f is DataField { IsArray: false } d && d.ClrType == typeof(ReadOnlyMemory<char>);

    private static ParquetReader OpenReader(string path, Stream file)
    {
        try
        {
            return Run(ParquetReader.CreateAsync(file, leaveStreamOpen: true));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new UserInputException($"{path}: not a readable Parquet file: {e.Message}", e);
        }
    }

    /// <summary>Every non-null value of those of <paramref name="columns"/> that the file has as top-level string
    /// columns, one row group in memory at a time (the other columns are not read).</summary>
    internal static IEnumerable<string> StringValues(string path, IReadOnlyList<string> columns)
    {
        using var file = CorpusFiles.OpenRead(path);
        var reader = OpenReader(path, file);
        try
        {
            var fields = reader.Schema.Fields.Where(f => columns.Contains(f.Name) && IsString(f)).Cast<DataField>().ToList();
            for (int g = 0; g < reader.RowGroupCount && fields.Count > 0; g++)
            {
                string?[][] values;
                try
                {
                    using var group = reader.OpenRowGroupReader(g);
                    int rows = checked((int)group.RowCount);
                    values = fields.Select(f => ReadStrings(group, f, rows)).ToArray();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new UserInputException($"{path}: row group {g + 1}: cannot read (corrupt file?): {e.Message}", e);
                }
                foreach (string?[] column in values)
                    foreach (string? value in column)
                        if (value is not null) yield return value;
            }
        }
        finally
        {
            Run(reader.DisposeAsync());
        }
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
