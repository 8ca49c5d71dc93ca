using System.Text.Json;
using System.Text.RegularExpressions;

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
        string message = e is JsonException ? WithoutTypeNames(e.Message) : e.Message;
        int i = e is JsonException ? message.IndexOf("LineNumber:", StringComparison.Ordinal) : -1;
        if (i < 0) return message;
        int b = message.IndexOf("BytePositionInLine:", i, StringComparison.Ordinal);
        string head = message[..i].TrimEnd(' ', '|', '.');
        if (b < 0) return head;
        string pos = message[(b + "BytePositionInLine:".Length)..].Trim().TrimEnd('.');
        return long.TryParse(pos, out long p) ? $"{head}, at byte {p + 1}" : head;
    }

    /// <summary>The serializer's messages name the .NET type it was filling (often the record around the field, not the
    /// field's): said in the file's terms instead, the field by its JSON path.</summary>
    private static string WithoutTypeNames(string message)
    {
        var m = Regex.Match(message, @"^The JSON value could not be converted to (.+?)\. Path: (\S+)");
        if (m.Success)
        {
            string type = m.Groups[1].Value, path = m.Groups[2].Value, rest = message[m.Length..];
            if (path != "$") return $"field \"{path.TrimStart('$', '.')}\" has the wrong type or is null{rest}";
            bool list = type.EndsWith("[]", StringComparison.Ordinal) || Regex.IsMatch(type, @"^System\.Collections\.[\w.]*(List|Enumerable|Collection|Set)`");
            return (list ? "not a JSON array" : type.StartsWith("System.", StringComparison.Ordinal) ? "a value of the wrong type" : "not a JSON object") + rest;
        }
        m = Regex.Match(message, @"^JSON deserialization for type '[^']+' was missing required properties,? including:? (.*?)\.?(?= ?(Path:|LineNumber:|$))");
        return m.Success ? $"missing required fields: {m.Groups[1].Value}{message[m.Length..]}" : message;
    }
}
