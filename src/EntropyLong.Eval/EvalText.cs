using System.Buffers;
using System.Text;
using System.Text.Unicode;
using EntropyLong.Core;

namespace EntropyLong.Eval;

/// <summary>Evaluation files (samples, predictions, results, data) read as UTF-8 text, strictly. Read leniently, a byte
/// that is not UTF-8 becomes U+FFFD and the line is scored as if the file held that; scores must come from what the
/// file holds, so such a line is refused ("FILE:LINE: not valid UTF-8") rather than skipped as the corpus reader does.</summary>
public static class EvalText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The lines of <paramref name="path"/> with their 1-based numbers, blank ones included, without line ends
    /// (\n or \r\n) or a leading byte-order mark.</summary>
    /// <exception cref="UserInputException">A line holds a byte that is not UTF-8.</exception>
    public static IEnumerable<(int Line, string Text)> ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        var line = new ArrayBufferWriter<byte>();
        int number = 0, read;
        while ((read = stream.Read(buffer)) > 0)
        {
            // Offsets, not a span: a span may not live across a yield.
            int start = 0, end;
            while ((end = Array.IndexOf(buffer, (byte)'\n', start, read - start)) >= 0)
            {
                line.Write(buffer.AsSpan(start, end - start));
                start = end + 1;
                yield return (++number, DecodeLine(line.WrittenSpan, path, number));
                line.ResetWrittenCount();
            }
            line.Write(buffer.AsSpan(start, read - start));
        }
        if (line.WrittenCount > 0) yield return (++number, DecodeLine(line.WrittenSpan, path, number));
    }

    /// <summary>The whole of <paramref name="path"/>, without a leading byte-order mark.</summary>
    /// <exception cref="UserInputException">It holds a byte that is not UTF-8 (named by its line).</exception>
    public static string ReadAll(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>The bytes of <paramref name="path"/> (or the start of them) as text, as <see cref="ReadAll"/> reads them.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.StartsWith(Encoding.UTF8.Preamble)) bytes = bytes[Encoding.UTF8.Preamble.Length..];
        int invalid = Utf8Bytes.FirstInvalid(bytes);
        return invalid < 0 ? Strict.GetString(bytes) : throw NotUtf8(path, bytes[..invalid].Count((byte)'\n') + 1);
    }

    private static string DecodeLine(ReadOnlySpan<byte> line, string path, int number)
    {
        if (number == 1 && line.StartsWith(Encoding.UTF8.Preamble)) line = line[Encoding.UTF8.Preamble.Length..];
        if (line.EndsWith("\r"u8)) line = line[..^1];
        return Utf8.IsValid(line) ? Strict.GetString(line) : throw NotUtf8(path, number);
    }

    private static UserInputException NotUtf8(string path, int line) => new($"{path}:{line}: not valid UTF-8");
}
