using System.Text.Json;
using System.Text.RegularExpressions;

namespace EntropyLong.Data.Tests;

public class SampleCorpusTests
{
    private static string CorpusPath()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "EntropyLong.slnx"))) dir = Path.GetDirectoryName(dir)!;
        return Path.Combine(dir, "data", "sample", "corpus.jsonl.gz");
    }

    [Fact]
    public void CommittedSampleCorpusReadsCleanly()
    {
        var reader = new CorpusReader([CorpusPath()]);
        var docs = reader.Read().Select(r => r.Document).ToList();

        Assert.Equal(0, reader.Stats.Skipped);
        Assert.Equal(3306, docs.Count); // data/sample/README.md states these figures
        Assert.Equal(1661776, docs.Sum(d => (long)d.Text.Length));
        Assert.Equal(docs.Count, docs.Select(d => d.Id).Distinct().Count());
        Assert.Equal(2307, docs.Count(d => d.Id.StartsWith("jargon:")));
        Assert.Equal(999, docs.Count(d => d.Id.StartsWith("devil:")));
    }

    [Fact]
    public void EveryCrossReferenceThatNamesAnEntryIsALinkWithItsMention()
    {
        var records = JsonlLines.Read(CorpusPath()).Select(l => JsonDocument.Parse(l.Text).RootElement.Clone()).ToList();
        var ids = records.Select(r => r.GetProperty("id").GetString()!).ToHashSet();
        // Headwords, as the corpus tool folds them: case and runs of white space.
        static string Term(string s) => Regex.Replace(s.Trim(), @"\s+", " ").ToLowerInvariant();
        var byHead = ids.GroupBy(id => (Source: id[..id.IndexOf(':')], Head: Term(id[(id.IndexOf(':') + 1)..]))).ToDictionary(g => g.Key, g => g.First());
        long links = 0;
        foreach (var r in records)
        {
            string id = r.GetProperty("id").GetString()!, text = r.GetProperty("text").GetString()!;
            var targets = r.GetProperty("links").EnumerateArray().Select(l => l.GetString()!).ToList();
            var mentions = r.GetProperty("mentions").EnumerateArray().Select(m => (Start: m[0].GetInt32(), End: m[1].GetInt32(), Target: m[2].GetString()!)).ToList();
            Assert.Equal(targets.Distinct().Count(), targets.Count);
            Assert.Equal(targets, mentions.Select(m => m.Target).Distinct());
            Assert.DoesNotContain(id, targets);
            foreach (var m in mentions)
            {
                Assert.Contains(m.Target, ids);
                Assert.Matches(@"^\{[^{}]*\}$", text[m.Start..m.End]);
            }
            // A reference whose words are another entry's headword is always a link (the index's other headwords
            // of an entry may add more).
            foreach (Match m in Regex.Matches(text, @"\{([^{}]*)\}"))
                if (byHead.TryGetValue((id[..id.IndexOf(':')], Term(m.Groups[1].Value)), out var target) && target != id)
                    Assert.Contains(mentions, x => x.Start == m.Index && x.Target == target);
            links += targets.Count;
        }
        Assert.Equal(5117, links); // data/sample/README.md states this figure
    }
}
