using EntropyLong.Core;

namespace EntropyLong.Llm;

public static class GgufFile
{
    /// <summary>Whether <paramref name="path"/> starts with the GGUF magic (false for a missing or short file).</summary>
    public static bool IsGguf(string path)
    {
        if (!File.Exists(path)) return false;
        Span<byte> magic = stackalloc byte[4];
        using var f = File.OpenRead(path);
        return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("GGUF"u8);
    }

    /// <summary>Fails with a clear message unless <paramref name="path"/> is a readable GGUF file.</summary>
    public static void Check(string path)
    {
        if (!File.Exists(path)) throw UserInputException.FileNotFound(path, "model file");
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var f = File.OpenRead(path);
            if (f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("GGUF"u8))
                throw new UserInputException($"{path}: not a GGUF model file (it does not start with the GGUF magic)");
        }
        catch (IOException e) { throw new UserInputException($"{path}: cannot read the model file ({e.Message})", e); }
        catch (UnauthorizedAccessException e) { throw new UserInputException($"{path}: cannot read the model file ({e.Message})", e); }
    }
}
