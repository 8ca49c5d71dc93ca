using System.Text.RegularExpressions;
using EntropyLong.Eval.Models;

namespace EntropyLong.Eval.Tests;

/// <summary>One token per word or punctuation mark (a rough stand-in for a subword tokenizer); counts only.</summary>
internal sealed partial class WordTokenizer : ITokenizer
{
    public string Description => "test words";
    public int[] Tokenize(string text) => Words().Matches(text).Select(m => m.Value.GetHashCode() & 0xFFFF).ToArray();
    public string Detokenize(ReadOnlySpan<int> tokens) => throw new NotSupportedException();
    public int CountTokens(string text) => Words().Count(text);

    [GeneratedRegex(@"\w+|[^\w\s]")]
    private static partial Regex Words();
}

/// <summary>One token per character: exact round trip, for truncation tests.</summary>
internal sealed class CharTokenizer : ITokenizer
{
    public string Description => "test chars";
    public int[] Tokenize(string text) => text.Select(c => (int)c).ToArray();
    public string Detokenize(ReadOnlySpan<int> tokens)
    {
        var chars = new char[tokens.Length];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)tokens[i];
        return new string(chars);
    }
}

/// <summary>A model that answers with a function of the prompt, counting its calls.</summary>
internal sealed class FakeModel(Func<GenerationRequest, string> answer, ITokenizer? tokenizer = null, int concurrency = 1) : ITextModel
{
    private int _calls;
    public int Calls => _calls;
    public List<GenerationRequest> Requests { get; } = new();
    public string Name => "fake";
    public int ContextLength => 0;
    public ITokenizer Tokenizer { get; } = tokenizer ?? new WordTokenizer();
    public int MaxConcurrency => concurrency;

    public Task<string> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        lock (Requests) Requests.Add(request);
        return Task.FromResult(answer(request));
    }

    public void Dispose() { }
}

internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "entropylong-eval-" + Guid.NewGuid().ToString("N"));
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}

internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
}
