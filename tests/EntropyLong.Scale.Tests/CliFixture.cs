using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EntropyLong.TestSupport;

namespace EntropyLong.Scale.Tests;

/// <summary>The CLI run as a child process (`dotnet entropylong.dll`, copied next to the tests), a tiny random
/// scorer, a four-file corpus and a two-shard index built once with the real ONNX embedder.</summary>
public sealed class CliFixture : IDisposable
{
    public string Root { get; } = Scratch.NewPath("scale");
    public string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "entropylong.dll");
    public string Model { get; }
    public string[] CorpusFiles { get; }
    public string Index { get; }

    /// <summary>Loose settings so random weights still give anchors and verified chunks; a short sequence length so
    /// each shard packs several sequences.</summary>
    public string[] BuildOptions =>
        ["--model", Model, "--alpha", "0.5", "--epsilon", "0", "--top-k", "4", "--window", "4", "--seq-len", "384", "--max-anchors", "3", "--threads", "1", "--block", "4", "--exact-search", "--quiet"];

    public CliFixture()
    {
        Directory.CreateDirectory(Root);
        Model = TinyModels.Get().Path;
        var texts = TinyModels.Texts;
        CorpusFiles = new string[4];
        int id = 0;
        for (int f = 0; f < CorpusFiles.Length; f++)
        {
            var lines = new StringBuilder();
            for (int i = 0; i < 8; i++, id++)
            {
                string text = texts[id % texts.Length] + " " + texts[(id * 3 + 1) % texts.Length] + $" Item {id}.";
                lines.Append(JsonSerializer.Serialize(new { id = $"d{id:000}", text })).Append('\n');
            }
            CorpusFiles[f] = Path.Combine(Root, "corpus", $"part-{f}.jsonl.gz");
            WriteGzip(CorpusFiles[f], lines.ToString());
        }
        Index = Path.Combine(Root, "idx");
        Run(["index", .. CorpusArgs, "--out", Index, "--shards", "2", "--max-chars", "120"]).Check();
    }

    public const int Shards = 3;
    private readonly Lock _gate = new();
    private string? _reference;

    public string[] Build(string outDir, params string[] more) =>
        ["build", .. CorpusArgs, "--index", Index, "--out", outDir, "--shards", $"{Shards}", .. BuildOptions, .. more];

    /// <summary>One uninterrupted single-worker sharded build: what every other way of running must reproduce.</summary>
    public string Reference()
    {
        lock (_gate)
        {
            if (_reference is not null) return _reference;
            string dir = Path.Combine(Root, "reference");
            Run(Build(dir)).Check();
            return _reference = dir;
        }
    }

    public string[] CorpusArgs => CorpusFiles.SelectMany(f => new[] { "--corpus", f }).ToArray();

    public static void WriteGzip(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var gz = new GZipStream(File.Create(path), CompressionLevel.Optimal);
        gz.Write(Encoding.UTF8.GetBytes(text));
    }

    public ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string v in new[] { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "RANK", "WORLD_SIZE", "JOB_COMPLETION_INDEX" })
            psi.Environment.Remove(v);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    public CliResult Run(IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        using var p = Process.Start(StartInfo(args, env))!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
        return new CliResult(p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The files a build leaves as its result, relative path -> bytes (stats.json without its timings).</summary>
    public static SortedDictionary<string, byte[]> Output(string dir)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        files["sequences.jsonl"] = File.ReadAllBytes(Path.Combine(dir, "sequences.jsonl"));
        files["README.md"] = File.ReadAllBytes(Path.Combine(dir, "README.md"));
        foreach (string folder in new[] { "mds", "parquet" }.Where(f => Directory.Exists(Path.Combine(dir, f))))
            foreach (string f in Directory.GetFiles(Path.Combine(dir, folder)).Order(StringComparer.Ordinal))
                files[$"{folder}/{Path.GetFileName(f)}"] = File.ReadAllBytes(f);
        var stats = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllBytes(Path.Combine(dir, "stats.json")))!;
        stats.Remove("seconds");
        files["stats.json (counters)"] = JsonSerializer.SerializeToUtf8Bytes(stats);
        return files;
    }

    /// <summary>Builds once with <paramref name="flag"/> and once with the same setting from a config file holding
    /// <paramref name="configJson"/>, asserts the two outputs are the same, and returns the flag's build folder.</summary>
    public string BuildWithFlagAndConfigKey(string name, string[] flag, string configJson)
    {
        string flagged = Path.Combine(Root, name + "-flag"), keyed = Path.Combine(Root, name + "-config"), config = Path.Combine(Root, name + ".json");
        File.WriteAllText(config, configJson);
        string[] common = ["build", .. CorpusArgs, "--index", Index, .. BuildOptions];
        Run([.. common, "--out", flagged, .. flag]).Check();
        Run([.. common, "--out", keyed, "--config", config]).Check();
        AssertSameOutput(flagged, keyed);
        return flagged;
    }

    public static void AssertSameOutput(string expected, string actual)
    {
        var a = Output(expected);
        var b = Output(actual);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a)
            Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs between {expected} and {actual}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); }
        catch (IOException) { /* temp space */ }
    }
}

public sealed record CliResult(int Code, string Stdout, string Stderr)
{
    public CliResult Check()
    {
        Assert.True(Code == 0, $"exit {Code}\nstdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }
}

[CollectionDefinition("cli")]
public sealed class CliCollection : ICollectionFixture<CliFixture>;
