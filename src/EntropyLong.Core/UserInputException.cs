namespace EntropyLong.Core;

/// <summary>Bad input the user can fix (a missing file, a malformed line, a wrong model). The message
/// names the file (and line, where there is one) and is shown as is, without a stack trace.</summary>
public sealed class UserInputException(string message, Exception? inner = null) : Exception(message, inner);
