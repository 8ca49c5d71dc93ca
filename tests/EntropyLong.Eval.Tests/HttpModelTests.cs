using System.Text.Json.Nodes;
using EntropyLong.Core;
using EntropyLong.Eval.Models;

namespace EntropyLong.Eval.Tests;

public class HttpModelTests
{
    private static JsonNode Completion(string text) => new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["text"] = text }) };

    private static HttpModelOptions Options(FakeOpenAiServer s) => new()
    {
        BaseUrl = s.BaseUrl, ApiKey = "sk-secret-123", MaxTries = 3, FirstBackoff = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task CompletionsSendTheRawPromptGreedilyWithTheKey()
    {
        using var server = new FakeOpenAiServer((path, body) => Task.FromResult<JsonNode?>(path == "/v1/completions" ? Completion(" 42.") : null));
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), null, default);
        Assert.Equal("tiny-model", model.Name);
        Assert.Equal(4096, model.ContextLength);
        Assert.Equal(" 42.", await model.GenerateAsync(new GenerationRequest("Q: x A:", 30), default));
        var req = server.Seen.Single(s => s.Path == "/v1/completions");
        Assert.Equal("Bearer sk-secret-123", req.Authorization);
        Assert.Equal("Q: x A:", req.Body!["prompt"]!.GetValue<string>());
        Assert.Equal("tiny-model", req.Body["model"]!.GetValue<string>());
        Assert.Equal(30, req.Body["max_tokens"]!.GetValue<int>());
        Assert.Equal(0.0, req.Body["temperature"]!.GetValue<double>());
    }

    [Fact]
    public async Task ChatModeSendsOneUserMessage()
    {
        using var server = new FakeOpenAiServer((path, body) => Task.FromResult<JsonNode?>(path == "/v1/chat/completions"
            ? new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "The correct answer is (B)" } }) }
            : null));
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server) with { Chat = true, ModelName = "m" }, null, default);
        Assert.Equal("The correct answer is (B)", await model.GenerateAsync(new GenerationRequest("prompt", 128, 0.1), default));
        var body = server.Seen.Single(s => s.Path == "/v1/chat/completions").Body!;
        Assert.Equal("user", body["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal("prompt", body["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal("m", body["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task TokensAreCountedByTheServersTokenizeEndpoint()
    {
        using var server = new FakeOpenAiServer((_, _) => Task.FromResult<JsonNode?>(null));
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), null, default);
        Assert.Equal(3, model.Tokenizer.CountTokens("one two three"));
        Assert.Equal([3, 3, 5], model.Tokenizer.Tokenize("one two three"));
        Assert.Equal("xxx xxxxx", model.Tokenizer.Detokenize([3, 5]));
        Assert.Contains("/tokenize", model.Tokenizer.Description);
        var body = server.Seen.Last(s => s.Path == "/tokenize").Body!;
        Assert.False(body["add_special"]!.GetValue<bool>());
        Assert.False(body["add_special_tokens"]!.GetValue<bool>());
    }

    [Fact]
    public async Task NoTokenizeEndpointAsksForALocalTokenizer()
    {
        using var server = new FakeOpenAiServer((path, _) => Task.FromResult<JsonNode?>(null));
        server.Raw = p => p == "/tokenize" ? (404, "{\"detail\":\"Not Found\"}") : null;
        var ex = await Assert.ThrowsAsync<UserInputException>(() => OpenAiCompatibleModel.ConnectAsync(Options(server), null, default));
        Assert.Contains("--tokenizer", ex.Message);
        // with a local tokenizer the server's /tokenize is never asked
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), new WordTokenizer(), default);
        Assert.Equal(2, model.Tokenizer.CountTokens("a b"));
    }

    [Fact]
    public async Task TransientFailuresAreRetriedWithBackoff()
    {
        int calls = 0;
        using var server = new FakeOpenAiServer((path, _) => Task.FromResult<JsonNode?>(path == "/v1/completions" ? Completion("fine") : null));
        server.Raw = p => p == "/v1/completions" && Interlocked.Increment(ref calls) <= 2 ? (503, "overloaded") : null;
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), new WordTokenizer(), default);
        Assert.Equal("fine", await model.GenerateAsync(new GenerationRequest("p", 5), default));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task PersistentFailureIsAClearErrorWithoutTheKey()
    {
        using var server = new FakeOpenAiServer((_, _) => Task.FromResult<JsonNode?>(null));
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), new WordTokenizer(), default);
        server.Raw = p => (500, "boom");
        var ex = await Assert.ThrowsAsync<UserInputException>(() => model.GenerateAsync(new GenerationRequest("p", 5), default));
        Assert.Contains("after 3 tries", ex.Message);
        Assert.Contains("HTTP 500", ex.Message);
        Assert.DoesNotContain("sk-secret", ex.Message);
        Assert.Equal(3, server.Seen.Count(s => s.Path == "/v1/completions"));
    }

    [Fact]
    public async Task ClientErrorsAreNotRetried()
    {
        using var server = new FakeOpenAiServer((_, _) => Task.FromResult<JsonNode?>(null));
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), new WordTokenizer(), default);
        server.Raw = p => (400, "{\"error\":\"prompt too long\"}");
        var ex = await Assert.ThrowsAsync<UserInputException>(() => model.GenerateAsync(new GenerationRequest("p", 5), default));
        Assert.Contains("HTTP 400", ex.Message);
        Assert.Contains("prompt too long", ex.Message);
        Assert.Equal(1, server.Seen.Count(s => s.Path == "/v1/completions"));
        server.Raw = p => (401, "bad key");
        Assert.Contains("API key", (await Assert.ThrowsAsync<UserInputException>(() => model.GenerateAsync(new GenerationRequest("p", 5), default))).Message);
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>", "not JSON")]
    [InlineData("{\"object\":\"error\"}", "not an OpenAI completion")]
    [InlineData("{\"choices\":[]}", "not an OpenAI completion")]
    public async Task GarbageAnswersAreClearErrors(string answer, string expected)
    {
        using var server = new FakeOpenAiServer((_, _) => Task.FromResult<JsonNode?>(null));
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server), new WordTokenizer(), default);
        server.Raw = p => p == "/v1/completions" ? (200, answer) : null;
        var ex = await Assert.ThrowsAsync<UserInputException>(() => model.GenerateAsync(new GenerationRequest("p", 5), default));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task AServerWithoutModelListNeedsAName()
    {
        using var server = new FakeOpenAiServer((_, _) => Task.FromResult<JsonNode?>(null));
        server.Raw = p => p == "/v1/models" ? (404, "no") : null;
        Assert.Contains("--served-model", (await Assert.ThrowsAsync<UserInputException>(() => OpenAiCompatibleModel.ConnectAsync(Options(server), null, default))).Message);
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server) with { ModelName = "named" }, null, default);
        Assert.Equal("named", model.Name);
    }

    [Fact]
    public async Task ServerDownIsAClearError()
    {
        int port = FakeOpenAiServer.FreePort();
        var options = new HttpModelOptions { BaseUrl = new Uri($"http://127.0.0.1:{port}/v1"), MaxTries = 2, FirstBackoff = TimeSpan.FromMilliseconds(10) };
        var ex = await Assert.ThrowsAsync<UserInputException>(() => OpenAiCompatibleModel.ConnectAsync(options, null, default));
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        Assert.Contains("is the server running", ex.Message);
    }

    [Fact]
    public async Task SlowAnswersTimeOut()
    {
        using var server = new FakeOpenAiServer(async (path, _) =>
        {
            if (path != "/v1/completions") return null;
            await Task.Delay(2000);
            return Completion("late");
        });
        using var model = await OpenAiCompatibleModel.ConnectAsync(Options(server) with { Timeout = TimeSpan.FromMilliseconds(200), MaxTries = 2 }, new WordTokenizer(), default);
        var ex = await Assert.ThrowsAsync<UserInputException>(() => model.GenerateAsync(new GenerationRequest("p", 5), default));
        Assert.Contains("no answer within", ex.Message);
    }
}
