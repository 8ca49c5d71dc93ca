namespace EntropyLong.Data.Tests;

public class SampleCorpusTests
{
    [Fact]
    public void CommittedSampleCorpusReadsCleanly()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "EntropyLong.slnx"))) dir = Path.GetDirectoryName(dir)!;
        var reader = new CorpusReader([Path.Combine(dir, "data", "sample", "corpus.jsonl.gz")]);
        var docs = reader.Read().Select(r => r.Document).ToList();

        Assert.Equal(0, reader.Stats.Skipped);
        Assert.Equal(3306, docs.Count); // data/sample/README.md states these figures
        Assert.Equal(1661776, docs.Sum(d => (long)d.Text.Length));
        Assert.Equal(docs.Count, docs.Select(d => d.Id).Distinct().Count());
        Assert.Equal(2307, docs.Count(d => d.Id.StartsWith("jargon:")));
        Assert.Equal(999, docs.Count(d => d.Id.StartsWith("devil:")));
    }
}
