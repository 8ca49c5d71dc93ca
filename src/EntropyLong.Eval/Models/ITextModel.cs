namespace EntropyLong.Eval.Models;

/// <summary>The evaluated model's own tokenizer, without special tokens (no BOS/EOS): what RULER sizes its
/// haystacks with and what LongBench-v2 truncates by.</summary>
public interface ITokenizer
{
    /// <summary>Where the tokens come from, for the run header ("gguf vocabulary m.gguf", "server /tokenize").</summary>
    string Description { get; }

    int[] Tokenize(string text);

    string Detokenize(ReadOnlySpan<int> tokens);

    int CountTokens(string text) => Tokenize(text).Length;
}

/// <param name="Prompt">The raw prompt: sent as is to a base model, as the single user message in chat mode.</param>
/// <param name="Temperature">0 means greedy (argmax) decoding.</param>
/// <param name="Seed">Seed for sampling when Temperature &gt; 0.</param>
public sealed record GenerationRequest(string Prompt, int MaxNewTokens, double Temperature = 0, IReadOnlyList<string>? Stop = null, long Seed = 0);

/// <summary>A model the benchmarks run against.</summary>
public interface ITextModel : IDisposable
{
    string Name { get; }

    /// <summary>The context the model will run with, in tokens; 0 when the backend cannot tell.</summary>
    int ContextLength { get; }

    ITokenizer Tokenizer { get; }

    /// <summary>How many requests it is worth sending at once (1 for an in-process model).</summary>
    int MaxConcurrency { get; }

    Task<string> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken);
}

/// <summary>A model that scores given continuations of a prompt (an in-process model: servers do not expose this).</summary>
public interface IContinuationScorer
{
    /// <summary>Per continuation, the natural-log probability of each of its tokens given the prompt and its earlier
    /// tokens. Prompt and continuation are tokenized together (a token spanning their join counts as the
    /// continuation's), with BOS first when the model asks for one.</summary>
    IReadOnlyList<double[]> ContinuationLogProbs(string prompt, IReadOnlyList<string> continuations);
}
