namespace EntropyLong.Scale.Tests;

/// <summary>`search` and `bench verify` read a sharded index (index --shards) as `build` does; they refused it as "not an
/// index folder".</summary>
[Collection("cli")]
public class ShardedSearchTests(CliFixture cli)
{
    [Fact]
    public void SearchOverShardsFindsWhatOneIndexOfTheSameCorpusFinds()
    {
        string plain = Path.Combine(cli.Root, "plain-index");
        cli.Run(["index", .. cli.CorpusArgs, "--out", plain, "--max-chars", "120"]).Check();
        string[] query = ["--query", "the model reads its context", "-k", "5", "--exact"];
        var one = cli.Run(["search", "--index", plain, .. query]).Check().Stdout;
        var shards = cli.Run(["search", "--index", cli.Index, .. query]).Check().Stdout;
        static string[] Rows(string output) => output.Split('\n').TakeWhile(line => !line.StartsWith('╰')).ToArray(); // the table
        Assert.Equal(Rows(one), Rows(shards));
        Assert.Contains("in 2 shards, exact search", shards.ReplaceLineEndings(" "));
        Assert.Contains("#", Rows(shards)[3]);
    }

    [Fact]
    public void BenchVerifyPlansOverAShardedIndex()
    {
        var r = cli.Run(["bench", "verify", "--index", cli.Index, .. cli.CorpusArgs, "--model", cli.Model, "--docs", "4", "--blocks", "1,4",
            "--rounds", "1", "--alpha", "0.5", "--json"]).Check();
        Assert.Contains("\"block\"", r.Stdout);
    }
}
