using EntropyLong.Core;

namespace EntropyLong.Eval.Models;

/// <summary>How to open the model named on the command line.</summary>
public sealed record ModelOpenOptions
{
    /// <summary>A .gguf path (in-process llama.cpp) or an http(s)://host/v1 URL (OpenAI-compatible server).</summary>
    public required string Model { get; init; }
    /// <summary>Context to allocate for an in-process model (0: the largest length the run needs).</summary>
    public int ContextLength { get; init; }
    public int Threads { get; init; }
    public int GpuLayers { get; init; }
    /// <summary>For a server: a local GGUF whose vocabulary counts tokens instead of the server's /tokenize.</summary>
    public string? Tokenizer { get; init; }
    public bool Chat { get; init; }
    public string? ServedModel { get; init; }
    /// <summary>Name of the environment variable holding the API key (the key is read here, never printed).</summary>
    public string ApiKeyVariable { get; init; } = "OPENAI_API_KEY";
    public int Concurrency { get; init; } = 4;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    public int MaxTries { get; init; } = 5;
}

public static class TextModels
{
    public static bool IsUrl(string model) =>
        model.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || model.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static async Task<ITextModel> OpenAsync(ModelOpenOptions o, CancellationToken ct)
    {
        if (!IsUrl(o.Model))
        {
            if (o.Chat) throw new UserInputException("--chat applies to a server; an in-process GGUF model is prompted with the raw text");
            if (o.ContextLength <= 0) throw new ArgumentException("context length needed for an in-process model");
            return new LlamaCppModel(o.Model, o.ContextLength, o.Threads, o.GpuLayers);
        }
        if (!Uri.TryCreate(o.Model, UriKind.Absolute, out var url)) throw new UserInputException($"{o.Model}: not a valid URL");
        GgufTokenizer? tokenizer = o.Tokenizer is null ? null : GgufTokenizer.LoadVocabulary(o.Tokenizer);
        try
        {
            return await OpenAiCompatibleModel.ConnectAsync(new HttpModelOptions
            {
                BaseUrl = url,
                ModelName = o.ServedModel,
                Chat = o.Chat,
                ApiKey = Environment.GetEnvironmentVariable(o.ApiKeyVariable),
                Timeout = o.Timeout,
                MaxTries = o.MaxTries,
                Concurrency = o.Concurrency,
            }, tokenizer, ct).ConfigureAwait(false);
        }
        catch
        {
            tokenizer?.Dispose();
            throw;
        }
    }
}
