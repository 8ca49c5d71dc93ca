using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace EntropyLong.Eval.Tests;

/// <summary>
/// A small HTTP server on 127.0.0.1 that plays an OpenAI-compatible model server. <c>handler</c> sees the path
/// and the parsed body and returns a JSON answer, or null for the defaults: /v1/models lists "tiny-model",
/// /tokenize splits on spaces, /detokenize joins; anything else is 404. <see cref="Raw"/> can replace the
/// answer with any status and text.
/// </summary>
internal sealed class FakeOpenAiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, JsonNode?, Task<JsonNode?>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeOpenAiServer(Func<string, JsonNode?, Task<JsonNode?>> handler)
    {
        _handler = handler;
        int port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/v1");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseUrl { get; }
    public List<(string Path, string? Authorization, JsonNode? Body)> Seen { get; } = new();

    /// <summary>Set to answer the next requests with this status and text instead (null: back to normal).</summary>
    public Func<string, (int Status, string Body)?>? Raw { get; set; }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(ctx));
        }
    }

    private async Task ServeAsync(HttpListenerContext ctx)
    {
        string path = ctx.Request.Url!.AbsolutePath;
        string text = await new StreamReader(ctx.Request.InputStream).ReadToEndAsync();
        JsonNode? body = text.Length > 0 ? JsonNode.Parse(text) : null;
        lock (Seen) Seen.Add((path, ctx.Request.Headers["Authorization"], body));
        int status = 200;
        string reply;
        try
        {
            if (Raw?.Invoke(path) is { } raw) (status, reply) = raw;
            else if (await _handler(path, body) is { } node) reply = node.ToJsonString();
            else if (Default(path, body) is { } d) reply = d.ToJsonString();
            else (status, reply) = (404, "{\"error\":\"not found\"}");
        }
        catch (Exception ex)
        {
            (status, reply) = (500, ex.Message);
        }
        try
        {
            var bytes = Encoding.UTF8.GetBytes(reply);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
        catch (Exception) { /* client gone (timeout tests) */ }
    }

    private static JsonNode? Default(string path, JsonNode? body) => path switch
    {
        "/v1/models" => new JsonObject { ["data"] = new JsonArray(new JsonObject { ["id"] = "tiny-model", ["max_model_len"] = 4096 }) },
        "/tokenize" => new JsonObject
        {
            ["tokens"] = new JsonArray(body!["content"]!.GetValue<string>().Split(' ', StringSplitOptions.RemoveEmptyEntries)
                                                       .Select(w => (JsonNode?)(w.Length)).ToArray()),
        },
        "/detokenize" => new JsonObject { ["content"] = string.Join(' ', body!["tokens"]!.AsArray().Select(t => new string('x', t!.GetValue<int>()))) },
        _ => null,
    };

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(1000); } catch (AggregateException) { }
    }
}
