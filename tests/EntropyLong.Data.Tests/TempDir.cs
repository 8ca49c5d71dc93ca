using System.IO.Compression;
using System.Text;

namespace EntropyLong.Data.Tests;

/// <summary>A fresh folder per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("el-data-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content) => WriteBytes(name, Encoding.UTF8.GetBytes(content));

    public string WriteBytes(string name, byte[] content)
    {
        string path = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static byte[] Gzip(string content) => Gzip(Encoding.UTF8.GetBytes(content));

    public static byte[] Gzip(byte[] content)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(content);
        return ms.ToArray();
    }

    /// <summary>The gzip of <paramref name="head"/> + <paramref name="tail"/> cut right after <paramref name="head"/>: a sync
    /// flush there ends the deflate data on a byte, so the cut file decompresses to exactly <paramref name="head"/>,
    /// without error, as a download cut at that point does.</summary>
    public static byte[] GzipCut(string head, string tail)
    {
        var ms = new MemoryStream();
        int cut;
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(Encoding.UTF8.GetBytes(head));
            gz.Flush();
            cut = (int)ms.Length;
            gz.Write(Encoding.UTF8.GetBytes(tail));
        }
        return ms.ToArray()[..cut];
    }

    public static byte[] Zstd(string content) => new ZstdSharp.Compressor(3).Wrap(Encoding.UTF8.GetBytes(content)).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
