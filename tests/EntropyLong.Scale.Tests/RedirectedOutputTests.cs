namespace EntropyLong.Scale.Tests;

/// <summary>Redirected to a file or a pipe, the CLI's help and tables are not wrapped at 80 columns: a line a script or a
/// log reader looks for stays one line.</summary>
[Collection("cli")]
public class RedirectedOutputTests(CliFixture cli)
{
    [Fact]
    public void HelpAndTablesKeepEachLineWhole()
    {
        var help = cli.Run(["train", "--help"]).Check();
        Assert.Contains(help.Stdout.Split('\n'), line => line.Contains("--data <BUILD>") && line.Contains("trained with document masking; needs --init or --resume"));

        var cost = cli.Run(["bench", "cost", "--build", cli.Reference(), "--index", cli.Index, "--lm-tokens-per-s", "123456789"]).Check();
        Assert.Contains(cost.Stdout.Split('\n'), line => line.Contains("LM tokens") && line.Contains("tokens/s)"));
    }
}
