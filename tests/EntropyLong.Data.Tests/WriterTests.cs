using System.Text.Json;
using EntropyLong.Core;

namespace EntropyLong.Data.Tests;

public class WriterTests
{
    [Fact]
    public void AtomicFileAppearsOnlyOnCommit()
    {
        using var dir = new TempDir();
        string path = dir["out.bin"];
        using (var file = new AtomicFile(path))
        {
            file.Stream.Write([1, 2, 3]);
            Assert.False(File.Exists(path));
            file.Commit();
        }
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));

        using (var file = new AtomicFile(path))
        {
            file.Stream.Write([9, 9]);
            // Interrupted before Commit: the old content stays, the temporary file goes.
        }
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["out.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("out.jsonl")]
    [InlineData("out.jsonl.gz")]
    [InlineData("out.jsonl.zst")]
    public void JsonlWriterRoundTripsThroughTheReader(string name)
    {
        using var dir = new TempDir();
        string path = dir[name];
        var docs = new[] { new Document("d1", "Première ligne\n\"quoted\"", "src:1"), new Document("d2", "second", "src:2") };
        using (var writer = new JsonlWriter(path))
        {
            foreach (var d in docs) writer.Write(d);
            writer.Write(w => { w.WriteStartObject(); w.WriteString("id", "d3"); w.WriteString("text", "third"); w.WriteEndObject(); });
            Assert.False(File.Exists(path));
            writer.Complete();
            Assert.Equal(3, writer.Count);
        }
        var back = new CorpusReader([path]).Read().Select(r => r.Document).ToList();
        Assert.Equal(["d1", "d2", "d3"], back.Select(d => d.Id));
        Assert.Equal([docs[0].Text, "second", "third"], back.Select(d => d.Text));
        if (name == "out.jsonl")
        {
            var first = JsonDocument.Parse(File.ReadLines(path).First()).RootElement;
            Assert.Equal("src:1", first.GetProperty("source").GetString());
            Assert.Contains("Première", File.ReadAllText(path));
        }
    }

    [Theory]
    [InlineData("none.jsonl")]
    [InlineData("none.jsonl.gz")]
    [InlineData("none.jsonl.zst")]
    public void JsonlWriterWithNoRecordReadsBackEmpty(string name)
    {
        // GZipStream alone writes a 0-byte file for no data, which the reader refuses as a truncated gzip stream.
        using var dir = new TempDir();
        string path = dir[name];
        using (var writer = new JsonlWriter(path)) writer.Complete();
        Assert.Empty(new CorpusReader([path]).Read());
        Assert.Empty(JsonlLines.Read(path));
    }

    [Fact]
    public void JsonlWriterNotCompletedLeavesNoFile()
    {
        using var dir = new TempDir();
        string path = dir["partial.jsonl.gz"];
        using (var writer = new JsonlWriter(path))
        {
            for (int i = 0; i < 1000; i++) writer.Write(new Document($"{i}", new string('x', 100), ""));
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void UnwritableOutputIsAUserError()
    {
        using var dir = new TempDir();
        string blocker = dir.Write("file", "x");
        var e = Assert.Throws<UserInputException>(() => new JsonlWriter(Path.Combine(blocker, "out.jsonl")));
        Assert.StartsWith($"{Path.Combine(blocker, "out.jsonl")}: cannot write", e.Message);
    }
    [Fact]
    public void ATemporaryFileIsAbandonedOnlyWhenItsWriterOnThisHostIsGone()
    {
        string path = Path.Combine(Path.GetTempPath(), "config.json");
        Assert.False(AtomicFile.IsAbandoned(AtomicFile.TempPathFor(path))); // this process: live

        using var gone = System.Diagnostics.Process.Start("true")!;
        gone.WaitForExit();
        string Named(string host, int pid) => Path.Combine(Path.GetTempPath(), $".config.json.{host}.{pid}.{Guid.NewGuid():N}.tmp");
        Assert.True(AtomicFile.IsAbandoned(Named(Environment.MachineName, gone.Id)));
        Assert.False(AtomicFile.IsAbandoned(Named("another-host", gone.Id))); // cannot tell: keep it

        using var running = System.Diagnostics.Process.Start("sleep", "30")!;
        try { Assert.False(AtomicFile.IsAbandoned(Named(Environment.MachineName, running.Id))); }
        finally { running.Kill(); }
        Assert.False(AtomicFile.IsAbandoned(Path.Combine(Path.GetTempPath(), ".config.json.0b98b4eb36e64d4a81fb8ca257250ecb.tmp"))); // no writer named
    }

    [Fact]
    public void AKilledWriterThatNobodyReapedIsGoneToo()
    {
        // `sleep 0.3` exits once its parent has exec'd into a sleep that never waits for it: a zombie, as a writer killed
        // in a container whose PID 1 does not reap stays. .NET reported it running, so its temporary files were kept.
        // (A child that exits at once may be reaped by bash before the exec, and then no zombie is left to test.)
        var parent = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", "sleep 0.3 & echo $!; exec sleep 30"])
            { RedirectStandardOutput = true })!;
        try
        {
            int zombie = int.Parse(parent.StandardOutput.ReadLine()!);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!File.ReadAllText($"/proc/{zombie}/stat").Split(')')[^1].TrimStart().StartsWith('Z') && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.True(AtomicFile.IsAbandoned(Path.Combine(Path.GetTempPath(), $".config.json.{Environment.MachineName}.{zombie}.{Guid.NewGuid():N}.tmp")));
        }
        finally { parent.Kill(); }
    }
}
