using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EntropyLong.Core;

namespace EntropyLong.Eval.Models;

public sealed record HttpModelOptions
{
    /// <summary>Base URL ending in /v1 (http://host:8000/v1).</summary>
    public required Uri BaseUrl { get; init; }
    /// <summary>The served model name; null asks the server (/v1/models, first entry).</summary>
    public string? ModelName { get; init; }
    /// <summary>Use /v1/chat/completions with the prompt as one user message (instruct models) instead of
    /// /v1/completions with the raw prompt (base models).</summary>
    public bool Chat { get; init; }
    /// <summary>The key itself (read from an environment variable by the caller); never printed.</summary>
    public string? ApiKey { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Tries per request for transient failures (connection refused, timeout, 408/429/5xx).</summary>
    public int MaxTries { get; init; } = 5;
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public int Concurrency { get; init; } = 4;
}

/// <summary>
/// Any OpenAI-compatible server (vLLM, llama.cpp's server, TGI). Token counts come from the server's
/// /tokenize (llama.cpp: {content}; vLLM: {model, prompt}; both fields are sent) unless a local GGUF
/// tokenizer is given.
/// </summary>
public sealed class OpenAiCompatibleModel : ITextModel
{
    private readonly HttpClient _http;
    private readonly HttpModelOptions _options;
    private readonly Uri _root;
    private readonly ITokenizer _tokenizer;
    private readonly IDisposable? _ownedTokenizer;

    private OpenAiCompatibleModel(HttpClient http, HttpModelOptions options, string name, int contextLength, ITokenizer? tokenizer)
    {
        _http = http;
        _options = options;
        Name = name;
        ContextLength = contextLength;
        _root = RootOf(options.BaseUrl);
        _tokenizer = tokenizer ?? new ServerTokenizer(this);
        _ownedTokenizer = tokenizer as IDisposable;
    }

    /// <summary>Connects, learns the model name and context length when the server tells them, and checks that
    /// token counting works (the server's /tokenize or <paramref name="localTokenizer"/>).</summary>
    public static async Task<OpenAiCompatibleModel> ConnectAsync(HttpModelOptions options, ITokenizer? localTokenizer, CancellationToken ct,
                                                                HttpMessageHandler? handler = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        var probe = new OpenAiCompatibleModel(http, options, options.ModelName ?? "", 0, localTokenizer);
        string name = options.ModelName ?? "";
        int ctx = 0;
        var models = await probe.SendAsync(HttpMethod.Get, new Uri(options.BaseUrl, AppendSlash(options.BaseUrl) + "models"), null, ct,
                                           allowNotFound: true).ConfigureAwait(false);
        if (models?["data"] is JsonArray { Count: > 0 } data)
        {
            if (name.Length == 0) name = data[0]?["id"]?.GetValue<string>() ?? "";
            var entry = data.FirstOrDefault(d => d?["id"]?.GetValue<string>() == name) ?? data[0];
            if (entry?["max_model_len"] is JsonValue v && v.TryGetValue(out int m)) ctx = m;
        }
        if (name.Length == 0) throw new UserInputException($"{options.BaseUrl}: the server lists no model under /v1/models (is this the /v1 base URL?); pass --served-model");
        if (ctx == 0)
        {
            var props = await probe.SendAsync(HttpMethod.Get, new Uri(probe._root, "props"), null, ct, allowNotFound: true, quiet: true).ConfigureAwait(false);
            if (props?["default_generation_settings"]?["n_ctx"] is JsonValue n && n.TryGetValue(out int c)) ctx = c;
        }
        var model = new OpenAiCompatibleModel(http, options, name, ctx, localTokenizer);
        if (localTokenizer is null && model._tokenizer.CountTokens("Hello world") <= 0)
            throw new UserInputException($"{options.BaseUrl}: the server's /tokenize returned no tokens; pass --tokenizer M.gguf");
        return model;
    }

    public string Name { get; }
    public int ContextLength { get; }
    public ITokenizer Tokenizer => _tokenizer;
    public int MaxConcurrency => Math.Max(1, _options.Concurrency);

    public async Task<string> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = Name,
            ["max_tokens"] = request.MaxNewTokens,
            ["temperature"] = request.Temperature,
        };
        if (request.Temperature == 0) body["top_p"] = 1.0;
        else body["seed"] = request.Seed;
        if (request.Stop is { Count: > 0 } stop) body["stop"] = new JsonArray(stop.Select(s => (JsonNode?)s).ToArray());
        string path;
        if (_options.Chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = request.Prompt });
            path = "chat/completions";
        }
        else
        {
            body["prompt"] = request.Prompt;
            path = "completions";
        }
        var url = new Uri(_options.BaseUrl, AppendSlash(_options.BaseUrl) + path);
        var reply = await SendAsync(HttpMethod.Post, url, body, cancellationToken).ConfigureAwait(false);
        var choice = reply?["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;
        var text = _options.Chat ? choice?["message"]?["content"] : choice?["text"];
        if (text is JsonValue tv && tv.TryGetValue(out string? s)) return s;
        if (_options.Chat && choice?["message"] is JsonObject && text is null) return ""; // a refusal or tool call: no text
        throw new UserInputException($"{url}: the server's answer is not an OpenAI {(_options.Chat ? "chat " : "")}completion: {Clip(reply?.ToJsonString())}");
    }

    internal async Task<JsonNode?> SendAsync(HttpMethod method, Uri url, JsonNode? body, CancellationToken ct,
                                             bool allowNotFound = false, bool quiet = false)
    {
        string? payload = body?.ToJsonString();
        TimeSpan backoff = _options.FirstBackoff;
        for (int attempt = 1; ; attempt++)
        {
            string failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_options.Timeout);
                using var req = new HttpRequestMessage(method, url);
                if (payload is not null) req.Content = new StringContent(payload, Encoding.UTF8, "application/json");
                if (!string.IsNullOrEmpty(_options.ApiKey)) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                try
                {
                    using var resp = await _http.SendAsync(req, timeout.Token).ConfigureAwait(false);
                    string text = await resp.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    if (resp.IsSuccessStatusCode) return ParseJson(url, text);
                    if (allowNotFound && resp.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) return null;
                    if (quiet) return null;
                    int code = (int)resp.StatusCode;
                    if (code is 401 or 403) throw new UserInputException($"{url}: HTTP {code}, the server refused the API key (set the variable named by --api-key-env)");
                    if (!(code is 408 or 429 || code >= 500))
                        throw new UserInputException($"{url}: HTTP {code}: {Clip(text)}");
                    failure = $"HTTP {code}: {Clip(text)}";
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    if (quiet) return null;
                    failure = $"no answer within {_options.Timeout.TotalSeconds:0} s";
                }
                catch (HttpRequestException ex)
                {
                    if (quiet) return null;
                    failure = ex.InnerException?.Message ?? ex.Message;
                }
            }
            if (attempt >= _options.MaxTries)
                throw new UserInputException($"{url}: {failure} (after {attempt} tries; is the server running and reachable?)");
            await Task.Delay(backoff, ct).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private static JsonNode? ParseJson(Uri url, string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw new UserInputException($"{url}: the server answered something that is not JSON: {Clip(text)}");
        }
    }

    private static string Clip(string? s) => s is null ? "(empty)" : s.Length <= 300 ? s : s[..300] + "...";

    private static string AppendSlash(Uri u) => u.AbsolutePath.EndsWith('/') ? u.AbsolutePath : u.AbsolutePath + "/";

    /// <summary>http://h:8000/v1 -> http://h:8000/ (where llama.cpp and vLLM serve /tokenize).</summary>
    private static Uri RootOf(Uri baseUrl)
    {
        string p = baseUrl.AbsolutePath.TrimEnd('/');
        if (p.EndsWith("/v1", StringComparison.Ordinal)) p = p[..^3];
        return new Uri(baseUrl, p + "/");
    }

    public void Dispose()
    {
        _http.Dispose();
        _ownedTokenizer?.Dispose();
    }

    private sealed class ServerTokenizer(OpenAiCompatibleModel owner) : ITokenizer
    {
        public string Description => $"server {new Uri(owner._root, "tokenize")}";

        public int[] Tokenize(string text)
        {
            var body = new JsonObject
            {
                ["content"] = text, ["add_special"] = false, // llama.cpp server
                ["model"] = owner.Name, ["prompt"] = text, ["add_special_tokens"] = false, // vLLM
            };
            var url = new Uri(owner._root, "tokenize");
            var reply = owner.SendAsync(HttpMethod.Post, url, body, CancellationToken.None, allowNotFound: true).GetAwaiter().GetResult()
                        ?? throw new UserInputException($"{url}: the server has no /tokenize endpoint; pass --tokenizer M.gguf (the model's GGUF, loaded vocabulary-only)");
            var tokens = reply["tokens"] as JsonArray
                         ?? throw new UserInputException($"{url}: the answer has no \"tokens\" list: {Clip(reply.ToJsonString())}");
            var ids = new int[tokens.Count];
            for (int i = 0; i < ids.Length; i++)
                ids[i] = tokens[i] switch
                {
                    JsonValue v when v.TryGetValue(out int id) => id,
                    JsonObject o when o["id"] is JsonValue v2 && v2.TryGetValue(out int id2) => id2, // with_pieces
                    _ => throw new UserInputException($"{url}: token {i} is not a number: {Clip(tokens[i]?.ToJsonString())}"),
                };
            return ids;
        }

        public string Detokenize(ReadOnlySpan<int> tokens)
        {
            var arr = new JsonArray();
            foreach (int t in tokens) arr.Add(t);
            var body = new JsonObject { ["tokens"] = arr, ["model"] = owner.Name };
            var url = new Uri(owner._root, "detokenize");
            var reply = owner.SendAsync(HttpMethod.Post, url, body, CancellationToken.None, allowNotFound: true).GetAwaiter().GetResult()
                        ?? throw new UserInputException($"{url}: the server has no /detokenize endpoint; pass --tokenizer M.gguf");
            var text = reply["content"] ?? reply["prompt"]; // llama.cpp / vLLM
            return text is JsonValue v && v.TryGetValue(out string? s)
                ? s
                : throw new UserInputException($"{url}: the answer has no \"content\" or \"prompt\" text: {Clip(reply.ToJsonString())}");
        }
    }
}
