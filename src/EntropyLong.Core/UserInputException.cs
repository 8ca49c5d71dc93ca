namespace EntropyLong.Core;

/// <summary>Bad input the user can fix (a missing file, a malformed line, a wrong model). The message
/// names the file (and line, where there is one) and is shown as is, without a stack trace.</summary>
public sealed class UserInputException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>For a folder that is not there, such as "build folder": a file at the path is named as one, since
    /// "not found" would send the user looking for something that is there.</summary>
    public static UserInputException FolderNotFound(string path, string what) =>
        new(File.Exists(path) ? $"{path}: a file, not {Article(what)} {what}" : $"{path}: {what} not found");

    /// <summary>For a file that is not there, such as "links file": a folder at the path is named as one.</summary>
    public static UserInputException FileNotFound(string path, string what) =>
        new(Directory.Exists(path) ? $"{path}: a folder, not {Article(what)} {what}" : $"{path}: {what} not found");

    private static string Article(string noun) => "aeiou".Contains(noun[0]) ? "an" : "a";
}
