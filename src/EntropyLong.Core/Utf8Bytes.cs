using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace EntropyLong.Core;

/// <summary>Where UTF-8 input goes wrong, so that a reader can name the byte or the line instead of decoding it to U+FFFD.</summary>
public static class Utf8Bytes
{
    /// <summary>The offset of the first byte that does not start a valid UTF-8 sequence; -1 when all of it is valid.</summary>
    public static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return -1;
        int i = 0;
        while (Rune.DecodeFromUtf8(bytes[i..], out _, out int used) == OperationStatus.Done) i += used;
        return i;
    }
}
