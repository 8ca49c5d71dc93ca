using System.Text.Json;

namespace EntropyLong.Scale.Tests;

/// <summary>A build records the size of the index it retrieved from, and `bench cost` holds the index it is given to
/// it.</summary>
[Collection("cli")]
public class BenchCostTests(CliFixture cli)
{
    [Fact]
    public void BenchCostTakesTheBuildsIndexAndRefusesAnother()
    {
        string build = cli.Reference();
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(build, "config.json")));
        long recorded = config.RootElement.GetProperty("index_chunks").GetInt64();
        var cost = cli.Run(["bench", "cost", "--build", build, "--index", cli.Index, "--json"]).Check();
        Assert.Equal(recorded, JsonDocument.Parse(cost.Stdout).RootElement.GetProperty("index_chunks").GetInt64());

        // One shard of the two is another pool.
        string shard = Path.Combine(cli.Index, "shard-0000");
        var refused = cli.Run(["bench", "cost", "--build", build, "--index", shard]);
        Assert.Equal(3, refused.Code);
        Assert.Contains($"but the build retrieved from an index of {recorded:N0}", refused.Stderr);
    }
}
