using System.Text.Json;

namespace EntropyLong.Core;

/// <summary>System.Text.Json's errors in the project's <c>file:line: message</c> style. A JsonException counts lines
/// from 0 and ends its message with "LineNumber: 0 | BytePositionInLine: 12."; shown as is, that line is one short.</summary>
public static class JsonErrors
{
    /// <summary>"path:line" for an error in a whole JSON file, the line counted from 1; the path alone when the error
    /// has no position (or is no JsonException).</summary>
    public static string Where(string path, Exception e) => e is JsonException { LineNumber: long line } ? $"{path}:{line + 1}" : path;

    /// <summary>The message without the parser's position, which <see cref="Where"/> (or the caller's own line number)
    /// gives; the byte in the line stays, counted from 1.</summary>
    public static string Message(Exception e)
    {
        string message = e.Message;
        int i = e is JsonException ? message.IndexOf("LineNumber:", StringComparison.Ordinal) : -1;
        if (i < 0) return message;
        int b = message.IndexOf("BytePositionInLine:", i, StringComparison.Ordinal);
        string head = message[..i].TrimEnd(' ', '|', '.');
        if (b < 0) return head;
        string pos = message[(b + "BytePositionInLine:".Length)..].Trim().TrimEnd('.');
        return long.TryParse(pos, out long p) ? $"{head}, at byte {p + 1}" : head;
    }
}
